#include "test_prelude.hpp"

#include <ATen/ATen.h>

#include <string>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/models/model_spec.hpp"
#include "curvtrack/models/network.hpp"

using namespace curvtrack::models;

namespace {

double stored(Network& network) {
  double count = 0;
  for (const auto& tensor : network.parameters()) count += static_cast<double>(tensor.numel());
  for (const auto& tensor : network.buffers()) count += static_cast<double>(tensor.numel());
  return count;
}

}  // namespace

// make_network checks a native spec against the memory with stored_scalars before allocating:
// the count must be the network's own, parameters and BatchNorm statistics.
TEST_CASE("stored_scalars counts what a native network stores", "[unit]") {
  for (const std::string spec : {"mlp:784-64-10:tanh", "mlp:16-8-8-4", "cnn:8-16:relu", "cnn:8-16:relu:bn:in=3:side=32"}) {
    INFO(spec);
    auto network = make_network(spec, 0);
    double expected = spec.rfind("mlp:", 0) == 0 ? stored_scalars(parse_mlp_spec(spec)) : stored_scalars(parse_cnn_spec(spec));
    CHECK(expected == stored(*network));
  }
  for (const std::string spec : {"resnet:8", "resnet:20:w4:nobn", "resnet:14:w8:bn:classes=100:in=1:side=28"}) {
    INFO(spec);
    auto network = make_network(spec, 0);
    CHECK(stored_scalars(parse_resnet_spec(spec)) == stored(*network));
  }
}

TEST_CASE("a native spec too large for the memory is a usage error naming it, before any allocation", "[unit]") {
  REQUIRE_THROWS_AS(make_network("mlp:784-100000000-10:tanh", 0), curvtrack::core::UsageError);
  REQUIRE_THROWS_WITH(make_network("mlp:784-100000000-10:tanh", 0),
                      Catch::Matchers::Contains("mlp:784-100000000-10:tanh") &&
                          Catch::Matchers::Contains("79500000010 parameters") &&
                          Catch::Matchers::Contains("half of this machine's memory"));
}
