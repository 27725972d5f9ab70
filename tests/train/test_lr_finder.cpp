#include "test_prelude.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "curvtrack/data/synthetic.hpp"
#include "curvtrack/models/network.hpp"
#include "curvtrack/train/lr_finder.hpp"
#include "curvtrack/train/optimizer.hpp"
#include "curvtrack/train/step.hpp"
#include "torch_support.hpp"

using namespace curvtrack;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinRel;
using curvtrack::testing::bit_identical;

namespace {

// A 4-class gaussian mixture of 8x8 images: easy enough that a good lr drops the loss a lot.
struct Problem {
  data::Dataset train = data::make_gaussian_mixture(512, 4, 8, 11);
  data::Dataset held_out = data::make_gaussian_mixture(256, 4, 8, 11, 12);
  data::BatchPlan batches{32, true, true};
  data::Augmentation augmentation{};
  std::uint64_t seed = 5;
};

struct Model {
  std::unique_ptr<models::Network> network;
  std::unique_ptr<train::Optimizer> optimizer;
  Model(const std::string& spec, const std::string& optimizer_name) {
    network = models::make_network(spec, 3);
    network->set_training(true);
    train::OptimizerOptions options;
    options.name = optimizer_name;
    optimizer = train::make_optimizer(network->parameters(), options);
  }
};

// A few ordinary updates, so that momentum buffers, Adam moments and gradients all exist.
void warm_up(Model& model, const Problem& problem, int steps) {
  for (int step = 0; step < steps; ++step) {
    auto indices = data::step_indices(step, problem.train.images.size(0), problem.batches, 99);
    at::Tensor index = at::tensor(indices, at::kLong);
    train::train_step(*model.network, *model.optimizer, problem.train.images.index_select(0, index),
                      problem.train.labels.index_select(0, index), 0.05, 0.9);
  }
}

std::vector<at::Tensor> copies(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> out;
  for (const auto& t : tensors) out.push_back(t.defined() ? t.detach().clone() : at::Tensor());
  return out;
}

std::vector<at::Tensor> gradients(models::Network& network) {
  std::vector<at::Tensor> out;
  for (const auto& p : network.parameters()) out.push_back(p.grad());
  return copies(out);
}

train::LrFinderResult find(Model& model, const Problem& problem, const train::LrFinderOptions& options,
                           const std::string& rule = "valley") {
  return train::run_lr_finder(*model.network, *model.optimizer, problem.train, problem.held_out, problem.batches,
                              problem.augmentation, problem.seed, options, rule);
}

}  // namespace

TEST_CASE("the finder restores weights, buffers, gradients and optimizer state bit for bit", "[unit]") {
  Problem problem;
  auto spec = GENERATE(as<std::string>{}, "mlp:64-16-4:tanh", "cnn:4:relu:bn:classes=4:side=8");
  auto optimizer_name = GENERATE(as<std::string>{}, "sgd", "adamw");
  auto mode = GENERATE(as<std::string>{}, "exp", "linear");
  INFO(spec << " " << optimizer_name << " " << mode);
  Model model(spec, optimizer_name);
  warm_up(model, problem, 3);
  auto parameters = copies(model.network->parameters());
  auto buffers = copies(model.network->buffers());
  auto grads = gradients(*model.network);
  auto state = copies(model.optimizer->state());
  std::int64_t steps = model.optimizer->steps();

  train::LrFinderOptions options;
  options.mode = mode;
  options.end = 10;  // diverges: the restored state must not carry NaN
  options.linear_epochs = 1;
  train::LrFinderResult first = find(model, problem, options);
  REQUIRE(first.curve.size() >= 2);

  CHECK(bit_identical(model.network->parameters(), parameters));
  CHECK(bit_identical(model.network->buffers(), buffers));
  CHECK(bit_identical(gradients(*model.network), grads));
  CHECK(bit_identical(model.optimizer->state(), state));
  CHECK(model.optimizer->steps() == steps);

  // The restored pair trains on exactly as a twin that never saw the finder.
  Model twin(spec, optimizer_name);
  warm_up(twin, problem, 3);
  warm_up(model, problem, 2);
  warm_up(twin, problem, 2);
  CHECK(bit_identical(model.network->parameters(), twin.network->parameters()));
  CHECK(bit_identical(model.optimizer->state(), twin.optimizer->state()));
}

TEST_CASE("the finder leaves the network in the requested training mode", "[unit]") {
  Problem problem;
  Model model("cnn:4:relu:bn:classes=4:side=8", "sgd");
  warm_up(model, problem, 3);
  Model twin("cnn:4:relu:bn:classes=4:side=8", "sgd");
  warm_up(twin, problem, 3);
  train::LrFinderOptions options;
  options.end = 1;
  options.num_it = 20;
  options.restore_training = false;
  find(model, problem, options);
  twin.network->set_training(false);
  c10::NoGradGuard no_grad;
  at::Tensor inputs = problem.held_out.images.slice(0, 0, 16);
  // BatchNorm uses running statistics only in eval mode, so the outputs tell the modes apart.
  CHECK(at::equal(model.network->forward(inputs), twin.network->forward(inputs)));
  twin.network->set_training(true);
  CHECK_FALSE(at::equal(model.network->forward(inputs), twin.network->forward(inputs)));
}

TEST_CASE("the exponential sweep follows start*(end/start)^(i/num_it) with debiased smoothing", "[unit]") {
  Problem problem;
  Model model("mlp:64-16-4:tanh", "sgd");
  train::LrFinderOptions options;
  options.start = 1e-5;
  options.end = 1e-1;
  options.num_it = 40;
  train::LrFinderResult result = find(model, problem, options);
  INFO(result.stop_reason);
  REQUIRE_FALSE(result.stopped_early);
  REQUIRE(result.curve.size() == 41u);
  CHECK(result.mode == "exp");
  CHECK_THAT(result.curve.back().lr, WithinRel(1e-1, 1e-14));
  double average = 0;
  for (std::size_t i = 0; i < result.curve.size(); ++i) {
    const auto& point = result.curve[i];
    double expected = 1e-5 * std::pow(1e-1 / 1e-5, static_cast<double>(i) / 40.0);
    INFO("i = " << i);
    CHECK(point.iteration == static_cast<int>(i));
    CHECK_THAT(point.lr, WithinRel(expected, 1e-14));
    CHECK(std::isnan(point.accuracy));
    average = 0.98 * average + 0.02 * point.loss;
    CHECK_THAT(point.smoothed, WithinRel(average / (1.0 - std::pow(0.98, static_cast<double>(i + 1))), 1e-12));
  }
  // The first batch is step 0's batch of the run: its loss is the untrained model's on it.
  Model fresh("mlp:64-16-4:tanh", "sgd");
  auto indices = data::step_indices(0, problem.train.images.size(0), problem.batches, problem.seed);
  at::Tensor index = at::tensor(indices, at::kLong);
  auto first = train::train_step(*fresh.network, *fresh.optimizer, problem.train.images.index_select(0, index),
                                 problem.train.labels.index_select(0, index), 1e-5, options.momentum);
  CHECK(first.loss == result.curve.front().loss);
}

TEST_CASE("each suggestion lies where the smoothed loss falls, before its minimum", "[unit]") {
  Problem problem;
  Model model("mlp:64-16-4:tanh", "sgd");
  train::LrFinderOptions options;
  options.start = 1e-4;
  options.end = 10;
  options.num_it = 100;
  for (const std::string rule : {"smith", "minimum", "steep", "valley"}) {
    train::LrFinderResult result = find(model, problem, options, rule);
    const auto& curve = result.curve;
    REQUIRE(curve.size() > 20);
    std::size_t start_region = curve.size() / 10;
    // The kept curve (first 10% and last 5 points dropped) is where the suggestions come from.
    auto lowest = std::min_element(curve.begin() + start_region, curve.end() - 5,
                                   [](const auto& a, const auto& b) { return a.smoothed < b.smoothed; });
    INFO("rule " << rule << ": chosen " << result.chosen << ", start region lr " << curve[start_region].lr
                 << ", lr at the minimum " << lowest->lr << " (" << result.stop_reason << ")");
    CHECK(result.rule == rule);
    CHECK(result.chosen == schedules::suggestion_by_rule(result.suggestions, rule));
    CHECK(result.chosen >= curve[start_region].lr);
    if (rule == "smith") {
      // Smith's rule: the largest lr still improving, at (or a point or two before) the minimum.
      CHECK(result.chosen <= 2.0 * lowest->lr);
      CHECK(result.chosen >= 0.5 * lowest->lr);
    } else {
      CHECK(result.chosen <= lowest->lr);
    }
    // The loss has fallen clearly by the minimum, so the range is not degenerate.
    CHECK(lowest->smoothed < 0.5 * curve[start_region].smoothed);
  }
}

TEST_CASE("an exploding lr stops the sweep early and says why", "[unit]") {
  // A teacher's labels are not separable by a wide margin and ReLU is unbounded: the loss explodes.
  Problem problem;
  problem.train = data::make_teacher_student(512, 4, 8, 11);
  Model model("mlp:64-16-4:relu", "sgd");
  train::LrFinderOptions options;
  options.start = 1e-4;
  options.end = 1e3;
  options.num_it = 100;
  train::LrFinderResult result = find(model, problem, options);
  INFO(result.stop_reason);
  REQUIRE(result.stopped_early);
  REQUIRE(result.curve.size() < 101u);
  CHECK_THAT(result.stop_reason, Contains("at lr"));
  const auto& last = result.curve.back();
  double best = INFINITY;
  for (std::size_t i = 0; i + 1 < result.curve.size(); ++i) {
    const auto& point = result.curve[i];
    best = std::min(best, point.smoothed);
    INFO("point " << i);
    REQUIRE(std::isfinite(point.smoothed));
    REQUIRE(point.smoothed <= 4.0 * best);  // no earlier point met the stop rule
  }
  if (std::isfinite(last.smoothed)) {
    CHECK(last.smoothed > 4.0 * best);
    CHECK_THAT(result.stop_reason, Contains("exceeds 4 x the best"));
  } else {
    CHECK_THAT(result.stop_reason, Contains("not finite"));
  }
  CHECK_THAT(result.stop_reason, Contains("iteration " + std::to_string(last.iteration)));
}

TEST_CASE("the linear sweep rises linearly and records its held-out accuracy, judged by the rule", "[unit]") {
  Problem problem;
  Model model("mlp:64-16-4:tanh", "sgd");
  train::LrFinderOptions options;
  options.mode = "linear";
  options.start = 1e-3;
  options.end = 0.5;
  options.num_it = 8;
  options.linear_epochs = 2;  // 2 x 16 = 32 updates, an evaluation every 4
  train::LrFinderResult result = find(model, problem, options, "steep");
  INFO(result.stop_reason);
  REQUIRE(result.curve.size() == 32u);
  CHECK(result.rule == "steep");
  double best = -1, best_lr = NAN;
  std::vector<double> eval_lrs, accuracies;
  int evaluations = 0;
  for (std::size_t t = 0; t < result.curve.size(); ++t) {
    const auto& point = result.curve[t];
    CHECK_THAT(point.lr, WithinRel(1e-3 + (0.5 - 1e-3) * static_cast<double>(t) / 31.0, 1e-14));
    bool evaluated = (t + 1) % 4 == 0;
    CHECK(std::isfinite(point.accuracy) == evaluated);
    if (evaluated) {
      ++evaluations;
      CHECK(point.accuracy >= 0.0);
      CHECK(point.accuracy <= 1.0);
      if (point.accuracy > best) best = point.accuracy, best_lr = point.lr;
      eval_lrs.push_back(point.lr);
      accuracies.push_back(point.accuracy);
    }
  }
  CHECK(evaluations == 8);
  CHECK(result.accuracy_peak == best_lr);
  CHECK(result.chosen == result.suggestions.steep);  // a loss rule judges the loss in linear mode too
  // Smith's rule judges the held-out accuracy: the same sweep, chosen by it.
  schedules::LrChoice expected = schedules::smith_accuracy_lr(eval_lrs, accuracies);
  train::LrFinderResult smith = find(model, problem, options, "smith");
  CHECK(smith.rule == "smith");
  CHECK(((smith.chosen == expected.lr) || (std::isnan(smith.chosen) && std::isnan(expected.lr))));
  CHECK(smith.chosen_note == expected.note);
  CHECK(best > 0.5);  // four separable classes: the sweep learns something
}

TEST_CASE("the finder rejects bad options and rules before touching the model", "[unit]") {
  Problem problem;
  Model model("mlp:64-16-4:tanh", "sgd");
  auto parameters = copies(model.network->parameters());
  train::LrFinderOptions options;
  CHECK_THROWS_WITH(find(model, problem, options, "median"), Contains("median"));
  options.end = options.start;
  CHECK_THROWS_WITH(find(model, problem, options), Contains("end"));
  options = {};
  options.mode = "cubic";
  CHECK_THROWS_WITH(find(model, problem, options), Contains("cubic"));
  options = {};
  options.beta = 1.0;
  CHECK_THROWS_AS(find(model, problem, options), std::invalid_argument);
  CHECK(bit_identical(model.network->parameters(), parameters));
}
