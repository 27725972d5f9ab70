#include "test_prelude.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <string>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/models/model_spec.hpp"
#include "curvtrack/models/network.hpp"

using namespace curvtrack;
using Catch::Matchers::Contains;

TEST_CASE("resnet specs parse every field", "[unit]") {
  models::ResNetSpec plain = models::parse_resnet_spec("resnet:20");
  CHECK(plain.depth == 20);
  CHECK(plain.width == 16);
  CHECK(plain.batch_norm);
  CHECK(plain.classes == 10);
  CHECK(plain.in_channels == 3);
  CHECK(plain.side == 32);

  models::ResNetSpec full = models::parse_resnet_spec("resnet:56:w32:nobn:classes=100:in=1:side=28");
  CHECK(full.depth == 56);
  CHECK(full.width == 32);
  CHECK_FALSE(full.batch_norm);
  CHECK(full.classes == 100);
  CHECK(full.in_channels == 1);
  CHECK(full.side == 28);
  CHECK(models::parse_resnet_spec("resnet:110:bn").depth == 110);
}

TEST_CASE("bad resnet specs throw a UsageError naming the spec", "[unit]") {
  for (const std::string spec :
       {"resnet:21", "resnet:2", "resnet:0", "resnet:-4", "resnet:abc", "resnet:", "resnet",
        "resnet:20:w0", "resnet:20:w-3", "resnet:20:wide", "resnet:20:w", "resnet:20:classes=1",
        "resnet:20:in=0", "resnet:20:side=0", "resnet:20:relu", "resnet:20:bn:extra"}) {
    INFO(spec);
    try {
      models::make_network(spec, 1);
      FAIL("expected a UsageError for " << spec);
    } catch (const core::UsageError& error) {
      CHECK_THAT(error.what(), Contains("'" + spec + "'"));
    }
  }
  CHECK_THROWS_WITH(models::parse_resnet_spec("resnet:21"), Contains("6n+2"));
}

TEST_CASE("cnn specs take input channels and side", "[unit]") {
  models::CnnSpec cnn = models::parse_cnn_spec("cnn:16-32:relu:bn:in=3:side=32");
  CHECK(cnn.channels == std::vector<std::int64_t>{16, 32});
  CHECK(cnn.batch_norm);
  CHECK(cnn.in_channels == 3);
  CHECK(cnn.side == 32);
  CHECK(models::parse_cnn_spec("cnn:8").in_channels == 1);

  auto network = models::make_network("cnn:16-32:relu:bn:in=3:side=32", 1);
  network->set_training(false);
  torch::NoGradGuard no_grad;
  CHECK(network->forward(at::randn({2, 3, 32, 32})).sizes() == at::IntArrayRef({2, 10}));
  // 3*16*9 + 16 + 2*16 + 16*32*9 + 32 + 2*32 + (32*8*8)*10 + 10
  CHECK(models::parameter_count(*network) == 448 + 32 + 4640 + 64 + 20490);

  for (const std::string spec : {"cnn:8:in=0", "cnn:8:in=x", "cnn:8:side=-1"}) {
    INFO(spec);
    CHECK_THROWS_AS(models::parse_cnn_spec(spec), core::UsageError);
  }
}

TEST_CASE("make_network names resnet among the accepted specs", "[unit]") {
  CHECK_THROWS_WITH(models::make_network("vgg:16", 1), Contains("resnet:20"));
}
