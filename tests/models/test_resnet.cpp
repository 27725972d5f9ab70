#include "test_prelude.hpp"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/utils.h>

#include <algorithm>
#include <string>

#include "curvtrack/models/network.hpp"
#include "network_tensors.hpp"

using namespace curvtrack;
using Catch::Matchers::WithinAbs;
using models::testing::max_abs_difference;

namespace {

// Parameters of the CIFAR ResNet counted from the architecture (He et al. 2016, 4.2): 3x3 convs,
// BatchNorm (weight + bias per channel) or a conv bias instead, parameter-free option-A shortcuts.
std::int64_t hand_count(std::int64_t depth, std::int64_t width, bool bn, std::int64_t classes,
                        std::int64_t in_channels) {
  const std::int64_t n = (depth - 2) / 6;
  auto conv = [&](std::int64_t in, std::int64_t out) { return 9 * in * out + (bn ? 0 : out); };
  auto norm = [&](std::int64_t channels) { return bn ? 2 * channels : 0; };
  std::int64_t count = conv(in_channels, width) + norm(width);
  std::int64_t channels = width;
  for (std::int64_t out : {width, 2 * width, 4 * width}) {
    for (std::int64_t block = 0; block < n; ++block) {
      count += conv(channels, out) + norm(out) + conv(out, out) + norm(out);
      channels = out;
    }
  }
  return count + channels * classes + classes;
}

}  // namespace

TEST_CASE("resnet parameter counts equal the hand count of the paper's architecture", "[unit]") {
  // ResNet-20, BN: stem 432 + 32; stage 1: 3 x (2 x 2304 + 2 x 32) = 14016; stage 2:
  // (4608 + 9216 + 128) + 2 x (2 x 9216 + 128) = 51072; stage 3: (18432 + 36864 + 256) +
  // 2 x (2 x 36864 + 256) = 203520; fc 650. Total 269722 ("0.27M" in the paper's Table 6;
  // option-B projections would add 2752, giving 272474).
  CHECK(hand_count(20, 16, true, 10, 3) == 269722);
  // Without BN each BN's 2c parameters become a conv bias of c: 688 fewer.
  CHECK(hand_count(20, 16, false, 10, 3) == 269034);
  CHECK(hand_count(32, 16, true, 10, 3) == 464154);  // "0.46M"

  for (std::int64_t depth : {8, 20, 32}) {
    for (bool bn : {true, false}) {
      const std::string spec = "resnet:" + std::to_string(depth) + (bn ? ":bn" : ":nobn");
      INFO(spec);
      auto network = models::make_network(spec, 1);
      CHECK(models::parameter_count(*network) == hand_count(depth, 16, bn, 10, 3));
    }
  }
  auto wide = models::make_network("resnet:20:w32:classes=100:in=1", 1);
  CHECK(models::parameter_count(*wide) == hand_count(20, 32, true, 100, 1));
}

TEST_CASE("resnet maps [N, C, S, S] inputs to logits [N, classes]", "[unit]") {
  torch::NoGradGuard no_grad;
  for (const std::string spec : {"resnet:20", "resnet:32:nobn", "resnet:56:w8"}) {
    INFO(spec);
    auto network = models::make_network(spec, 3);
    network->set_training(false);
    at::Tensor logits = network->forward(at::randn({4, 3, 32, 32}));
    CHECK(logits.sizes() == at::IntArrayRef({4, 10}));
    CHECK(logits.isfinite().all().item<bool>());
  }
  // Odd sides work: the stride-2 stages give ceil(side / 2) as the subsampled shortcut does.
  auto mnist = models::make_network("resnet:8:w4:classes=7:in=1:side=28", 3);
  mnist->set_training(false);
  CHECK(mnist->forward(at::randn({2, 1, 27, 27})).sizes() == at::IntArrayRef({2, 7}));
  models::check_classifier_output(*mnist, at::randn({2, 1, 28, 28}), 7);
}

TEST_CASE("resnet option-A shortcuts have no parameters", "[unit]") {
  auto network = models::make_network("resnet:20", 1);
  const auto names = network->parameter_names();
  // Every parameter belongs to the stem, a block's two convs and BNs, or the classifier.
  for (const auto& name : names) {
    INFO(name);
    const bool known = name.rfind("conv1.", 0) == 0 || name.rfind("bn1.", 0) == 0 ||
                       name.rfind("fc.", 0) == 0 ||
                       (name.rfind("layer", 0) == 0 &&
                        (name.find(".conv1.") != std::string::npos ||
                         name.find(".conv2.") != std::string::npos ||
                         name.find(".bn1.") != std::string::npos ||
                         name.find(".bn2.") != std::string::npos));
    CHECK(known);
  }
  // The downsampling block has exactly the parameters of a non-downsampling one.
  std::vector<std::string> block;
  for (const auto& name : names) {
    if (name.rfind("layer2.0.", 0) == 0) block.push_back(name.substr(9));
  }
  CHECK(block == std::vector<std::string>{"conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight",
                                          "bn2.weight", "bn2.bias"});
  CHECK(names.front() == "conv1.weight");
  CHECK(names.back() == "fc.bias");
  CHECK(names.size() == 3 + 9 * 6 + 2);  // stem conv + BN, 9 blocks, fc
}

TEST_CASE("resnet logits equal those of an independent PyTorch implementation", "[unit]") {
  // Fixtures written by tests/models/fixtures/make_fixtures.py (torchvision-style names, option A).
  for (bool bn : {true, false}) {
    const std::string suffix = bn ? "bn" : "nobn";
    INFO(suffix);
    auto reference = models::make_network(
        std::string(CURVTRACK_MODELS_FIXTURE_DIR) + "/resnet8_w4_" + suffix + ".pt", 0);
    auto network = models::make_network("resnet:8:w4:" + suffix, 5);
    reference->to(at::kCPU, at::kDouble);
    network->to(at::kCPU, at::kDouble);
    REQUIRE(network->parameter_names() == reference->parameter_names());
    REQUIRE(network->buffer_names() == reference->buffer_names());
    {
      torch::NoGradGuard no_grad;
      auto to = network->parameters();
      auto from = reference->parameters();
      for (std::size_t i = 0; i < to.size(); ++i) to[i].copy_(from[i]);
      auto to_buffers = network->buffers();
      auto from_buffers = reference->buffers();
      for (std::size_t i = 0; i < to_buffers.size(); ++i) to_buffers[i].copy_(from_buffers[i]);
    }
    torch::manual_seed(2);
    at::Tensor inputs = at::randn({5, 3, 9, 9}, at::kDouble);
    for (bool training : {false, true}) {
      INFO("training " << training);
      network->set_training(training);
      reference->set_training(training);
      at::Tensor expected = reference->forward(inputs);
      at::Tensor actual = network->forward(inputs);
      REQUIRE(actual.sizes() == expected.sizes());
      const double difference = max_abs_difference(actual, expected);
      INFO("max |difference| " << difference << ", max |logit| " << expected.abs().max().item<double>());
      CHECK_THAT(difference, WithinAbs(0.0, 1e-12));
    }
  }
}

TEST_CASE("native networks are initialised from the seed", "[unit]") {
  for (const std::string spec : {"mlp:20-8-3:tanh", "cnn:4-8:relu:bn:in=3:side=8", "resnet:8:w4"}) {
    INFO(spec);
    auto a = models::make_network(spec, 42);
    auto b = models::make_network(spec, 42);
    auto c = models::make_network(spec, 43);
    const auto pa = a->parameters();
    const auto pb = b->parameters();
    const auto pc = c->parameters();
    REQUIRE(pa.size() == pb.size());
    bool any_different = false;
    for (std::size_t i = 0; i < pa.size(); ++i) {
      CHECK(at::equal(pa[i], pb[i]));
      any_different = any_different || !at::equal(pa[i], pc[i]);
    }
    CHECK(any_different);
  }
}
