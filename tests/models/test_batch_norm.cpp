#include "test_prelude.hpp"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/utils.h>

#include <string>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/models/network.hpp"
#include "network_tensors.hpp"
#include "test_support.hpp"

using namespace curvtrack;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinAbs;
using models::testing::buffer;
using models::testing::max_abs_difference;
using models::testing::parameter;

namespace {

constexpr double kTolerance = 1e-12;  // float64 throughout

// A float64 "cnn:4:relu:bn" whose first layer is conv "0" feeding BatchNorm "1".
std::unique_ptr<models::Network> make_cnn() {
  auto network = models::make_network("cnn:4:relu:bn:in=3:side=6", 9);
  network->to(at::kCPU, at::kDouble);
  return network;
}

// Per-channel mean and unbiased variance over N, H, W of the first conv's outputs, computed
// with at::conv2d from the network's own weights.
std::pair<at::Tensor, at::Tensor> conv_statistics(models::Network& network, const at::Tensor& inputs,
                                                  const std::string& conv, bool bias) {
  torch::NoGradGuard no_grad;
  at::Tensor outputs =
      at::conv2d(inputs, parameter(network, conv + ".weight"),
                 bias ? parameter(network, conv + ".bias") : at::Tensor(), {1, 1}, {1, 1});
  return {outputs.mean({0, 2, 3}), outputs.var({0, 2, 3}, /*unbiased=*/true)};
}

}  // namespace

TEST_CASE("reestimate_batch_norm on one batch gives the mean and unbiased variance of the inputs",
          "[unit]") {
  auto network = make_cnn();
  REQUIRE(network->has_batch_norm());
  torch::manual_seed(1);
  at::Tensor inputs = at::randn({13, 3, 6, 6}, at::kDouble) * 2.0 + 0.5;
  models::reestimate_batch_norm(*network, inputs, 13);
  auto [mean, variance] = conv_statistics(*network, inputs, "0", true);
  CHECK_THAT(max_abs_difference(buffer(*network, "1.running_mean"), mean), WithinAbs(0.0, kTolerance));
  CHECK_THAT(max_abs_difference(buffer(*network, "1.running_var"), variance), WithinAbs(0.0, kTolerance));
  CHECK(buffer(*network, "1.num_batches_tracked").item<std::int64_t>() == 1);
}

TEST_CASE("reestimate_batch_norm weighs batches by their size", "[unit]") {
  auto network = make_cnn();
  torch::manual_seed(2);
  // Batches of 5, 5 and 3 with different distributions, so equal weighting would be visible.
  at::Tensor inputs = at::randn({13, 3, 6, 6}, at::kDouble);
  inputs.slice(0, 10, 13).mul_(3.0).add_(2.0);
  models::reestimate_batch_norm(*network, inputs, 5);

  auto [mean, pooled_variance] = conv_statistics(*network, inputs, "0", true);
  at::Tensor expected_variance = at::zeros_like(mean);
  at::Tensor equal_weight_mean = at::zeros_like(mean);
  for (std::int64_t start = 0; start < 13; start += 5) {
    at::Tensor batch = inputs.slice(0, start, std::min<std::int64_t>(start + 5, 13));
    auto [batch_mean, batch_variance] = conv_statistics(*network, batch, "0", true);
    expected_variance += batch_variance * (static_cast<double>(batch.size(0)) / 13.0);
    equal_weight_mean += batch_mean / 3.0;
  }
  at::Tensor running_mean = buffer(*network, "1.running_mean");
  at::Tensor running_var = buffer(*network, "1.running_var");
  // The mean over all inputs exactly; the variance is the size-weighted average of per-batch
  // unbiased variances (BatchNorm only sees within-batch variances).
  CHECK_THAT(max_abs_difference(running_mean, mean), WithinAbs(0.0, kTolerance));
  CHECK_THAT(max_abs_difference(running_var, expected_variance), WithinAbs(0.0, kTolerance));
  INFO("equal-weight mean differs by " << max_abs_difference(running_mean, equal_weight_mean)
       << ", pooled variance by " << max_abs_difference(running_var, pooled_variance));
  CHECK(max_abs_difference(running_mean, equal_weight_mean) > 1e-3);
  CHECK(buffer(*network, "1.num_batches_tracked").item<std::int64_t>() == 3);
}

TEST_CASE("reestimate_batch_norm restores the momenta and leaves eval mode", "[unit]") {
  auto network = make_cnn();
  REQUIRE((network->batch_norm_momenta() == std::vector<std::optional<double>>{0.1}));
  torch::manual_seed(3);
  at::Tensor inputs = at::randn({8, 3, 6, 6}, at::kDouble);
  models::reestimate_batch_norm(*network, inputs, 3);
  CHECK((network->batch_norm_momenta() == std::vector<std::optional<double>>{0.1}));

  // Eval mode: a forward pass leaves the running statistics alone and is repeatable.
  at::Tensor before = buffer(*network, "1.running_mean").clone();
  torch::NoGradGuard no_grad;
  at::Tensor first = network->forward(inputs);
  CHECK(at::equal(buffer(*network, "1.running_mean"), before));
  CHECK(at::equal(network->forward(inputs), first));

  // Restored momentum: one training batch moves the mean by 0.1 of the way to its batch mean.
  network->set_training(true);
  at::Tensor batch = inputs.slice(0, 0, 4);
  auto [batch_mean, batch_variance] = conv_statistics(*network, batch, "0", true);
  network->forward(batch);
  CHECK_THAT(max_abs_difference(buffer(*network, "1.running_mean"), before * 0.9 + batch_mean * 0.1),
             WithinAbs(0.0, kTolerance));
}

TEST_CASE("reset_batch_norm_statistics zeroes the statistics and switches to a cumulative average",
          "[unit]") {
  auto network = make_cnn();
  torch::manual_seed(4);
  at::Tensor inputs = at::randn({6, 3, 6, 6}, at::kDouble) + 1.0;
  network->set_training(true);
  {
    torch::NoGradGuard no_grad;
    network->forward(inputs);
  }
  REQUIRE(buffer(*network, "1.num_batches_tracked").item<std::int64_t>() == 1);
  network->reset_batch_norm_statistics();
  CHECK(at::equal(buffer(*network, "1.running_mean"), at::zeros({4}, at::kDouble)));
  CHECK(at::equal(buffer(*network, "1.running_var"), at::ones({4}, at::kDouble)));
  CHECK(buffer(*network, "1.num_batches_tracked").item<std::int64_t>() == 0);
  CHECK((network->batch_norm_momenta() == std::vector<std::optional<double>>{std::nullopt}));
  // LibTorch's cumulative average weighs batches equally (factor 1 / num_batches_tracked).
  {
    torch::NoGradGuard no_grad;
    network->forward(inputs.slice(0, 0, 4));
    network->forward(inputs.slice(0, 4, 6));
  }
  auto [mean_a, variance_a] = conv_statistics(*network, inputs.slice(0, 0, 4), "0", true);
  auto [mean_b, variance_b] = conv_statistics(*network, inputs.slice(0, 4, 6), "0", true);
  CHECK_THAT(max_abs_difference(buffer(*network, "1.running_mean"), (mean_a + mean_b) / 2.0),
             WithinAbs(0.0, kTolerance));
  CHECK_THROWS_AS(network->set_batch_norm_momenta({0.1, 0.2}), std::invalid_argument);
}

TEST_CASE("reestimate_batch_norm on a resnet gives the statistics of the stem conv", "[unit]") {
  auto network = models::make_network("resnet:8:w4", 6);
  network->to(at::kCPU, at::kDouble);
  torch::manual_seed(5);
  at::Tensor inputs = at::randn({6, 3, 8, 8}, at::kDouble);
  models::reestimate_batch_norm(*network, inputs, 3);
  auto [mean, variance] = conv_statistics(*network, inputs, "conv1", false);
  CHECK_THAT(max_abs_difference(buffer(*network, "bn1.running_mean"), mean), WithinAbs(0.0, kTolerance));
  // Equal batches: the average of the two per-batch unbiased variances.
  auto [mean_a, variance_a] = conv_statistics(*network, inputs.slice(0, 0, 3), "conv1", false);
  auto [mean_b, variance_b] = conv_statistics(*network, inputs.slice(0, 3, 6), "conv1", false);
  CHECK_THAT(max_abs_difference(buffer(*network, "bn1.running_var"), (variance_a + variance_b) / 2.0),
             WithinAbs(0.0, kTolerance));
  CHECK(network->batch_norm_momenta().size() == 1 + 3 * 2);
}

TEST_CASE("networks without BatchNorm report none and re-estimation only sets eval mode", "[unit]") {
  for (const std::string spec : {"mlp:12-5-3:tanh", "cnn:4:relu:in=3:side=6", "resnet:8:w4:nobn"}) {
    INFO(spec);
    auto network = models::make_network(spec, 1);
    CHECK_FALSE(network->has_batch_norm());
    CHECK(network->buffers().empty());
    CHECK(network->batch_norm_momenta().empty());
    network->reset_batch_norm_statistics();
    const std::int64_t side = spec[0] == 'm' ? 2 : 6;
    at::Tensor inputs = at::randn({4, 3, side, side});
    models::reestimate_batch_norm(*network, inputs, 2);
  }
  auto network = make_cnn();
  CHECK_THROWS_AS(models::reestimate_batch_norm(*network, at::randn({4, 3, 6, 6}), 0),
                  std::invalid_argument);
}

TEST_CASE("buffers are the BatchNorm running statistics, aligned with their names", "[unit]") {
  auto network = models::make_network("resnet:8:w4", 1);
  const auto names = network->buffer_names();
  const auto tensors = network->buffers();
  REQUIRE(names.size() == tensors.size());
  CHECK(names.size() == 3 * 7);  // 7 BN layers x (running_mean, running_var, num_batches_tracked)
  CHECK(names[0] == "bn1.running_mean");
  CHECK(names[1] == "bn1.running_var");
  CHECK(names[2] == "bn1.num_batches_tracked");
  CHECK(tensors[0].sizes() == at::IntArrayRef({4}));
  // The tensors alias the network's: writing into them changes the network.
  tensors[0].fill_(3.0);
  CHECK(buffer(*network, "bn1.running_mean").eq(3.0).all().item<bool>());
  // Converting to float64 keeps the batch counts integer.
  network->to(at::kCPU, at::kDouble);
  CHECK(buffer(*network, "bn1.running_var").scalar_type() == at::kDouble);
  CHECK(buffer(*network, "bn1.num_batches_tracked").scalar_type() == at::kLong);
  CHECK(parameter(*network, "fc.weight").scalar_type() == at::kDouble);
}

TEST_CASE("save and load round-trip parameters and BatchNorm statistics exactly", "[unit]") {
  for (const std::string spec : {"resnet:8:w4", "cnn:4-8:relu:bn:in=3:side=8"}) {
    INFO(spec);
    auto original = models::make_network(spec, 1);
    torch::manual_seed(7);
    at::Tensor inputs = at::randn({10, 3, 8, 8});
    models::reestimate_batch_norm(*original, inputs, 4);
    curvtrack::testing::TempDir dir;
    const auto path = dir.path() / "round_trip.pt";
    original->save(path);

    auto restored = models::make_network(spec, 2);
    restored->load(path);
    restored->set_training(false);
    const auto a = original->buffers();
    const auto b = restored->buffers();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(at::equal(a[i], b[i]));
    const auto pa = original->parameters();
    const auto pb = restored->parameters();
    for (std::size_t i = 0; i < pa.size(); ++i) CHECK(at::equal(pa[i], pb[i]));
    torch::NoGradGuard no_grad;
    CHECK(at::equal(original->forward(inputs), restored->forward(inputs)));
  }
}

TEST_CASE("TorchScript networks report BatchNorm and refuse to re-estimate it", "[unit]") {
  const std::string dir = CURVTRACK_MODELS_FIXTURE_DIR;
  auto with_bn = models::make_network(dir + "/resnet8_w4_bn.pt", 0);
  CHECK(with_bn->has_batch_norm());
  CHECK(with_bn->buffer_names().size() == with_bn->buffers().size());
  CHECK(with_bn->buffer_names().front() == "bn1.running_mean");
  try {
    models::reestimate_batch_norm(*with_bn, at::randn({4, 3, 8, 8}), 2);
    FAIL("expected a UsageError");
  } catch (const core::UsageError& error) {
    CHECK_THAT(error.what(), Contains("not supported for TorchScript"));
  }
  CHECK_THROWS_AS(with_bn->reset_batch_norm_statistics(), core::UsageError);

  auto without_bn = models::make_network(dir + "/resnet8_w4_nobn.pt", 0);
  CHECK_FALSE(without_bn->has_batch_norm());
  CHECK(without_bn->batch_norm_momenta().empty());
  models::reestimate_batch_norm(*without_bn, at::randn({4, 3, 8, 8}), 2);
}
