#include "curvtrack/train/lr_finder.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "curvtrack/train/step.hpp"

namespace curvtrack::train {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

// Everything the sweep may change, copied so that it can be put back bit for bit.
class Snapshot {
 public:
  Snapshot(models::Network& network, Optimizer& optimizer) : network_(network), optimizer_(optimizer) {
    for (const auto& p : network.parameters()) {
      parameters_.push_back(p.detach().clone());
      gradients_.push_back(p.grad().defined() ? p.grad().detach().clone() : at::Tensor());
    }
    for (const auto& b : network.buffers()) buffers_.push_back(b.detach().clone());
    // state() may alias tensors the optimizer updates in place.
    for (const auto& s : optimizer.state()) optimizer_state_.push_back(s.defined() ? s.clone() : s);
    optimizer_steps_ = optimizer.steps();
  }

  void restore(bool training) {
    c10::NoGradGuard no_grad;
    auto parameters = network_.parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      parameters[i].copy_(parameters_[i]);
      parameters[i].mutable_grad() = gradients_[i].defined() ? gradients_[i].clone() : at::Tensor();
    }
    auto buffers = network_.buffers();
    for (std::size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(buffers_[i]);
    optimizer_.load_state(optimizer_state_, optimizer_steps_);
    network_.set_training(training);
  }

 private:
  models::Network& network_;
  Optimizer& optimizer_;
  std::vector<at::Tensor> parameters_, gradients_, buffers_, optimizer_state_;
  std::int64_t optimizer_steps_ = 0;
};

// Trains on the run's batch of a given step, as the trainer does.
class BatchStepper {
 public:
  BatchStepper(models::Network& network, Optimizer& optimizer, const data::Dataset& train,
               const data::BatchPlan& batches, const data::Augmentation& augmentation, std::uint64_t seed,
               double momentum, models::Loss loss)
      : network_(network), optimizer_(optimizer), train_(train), batches_(batches), augmentation_(augmentation),
        seed_(seed), momentum_(momentum), loss_(loss), tensor_options_(network.parameters().front().options()) {}

  StepResult step(std::int64_t step, double lr) {
    std::vector<std::int64_t> indices = cache_.step_indices(step, train_.images.size(0), batches_, seed_);
    at::Tensor index = at::tensor(indices, at::kLong);
    at::Tensor inputs = train_.images.index_select(0, index);
    if (augmentation_.random_crop || augmentation_.horizontal_flip) {
      inputs = data::augment_batch(inputs, indices, augmentation_, seed_, step);
    }
    inputs = inputs.to(tensor_options_);
    at::Tensor labels = train_.labels.index_select(0, index).to(tensor_options_.device());
    return train_step(network_, optimizer_, inputs, labels, lr, momentum_, loss_);
  }

  const at::TensorOptions& tensor_options() const { return tensor_options_; }

 private:
  models::Network& network_;
  Optimizer& optimizer_;
  const data::Dataset& train_;
  const data::BatchPlan& batches_;
  const data::Augmentation& augmentation_;
  std::uint64_t seed_;
  double momentum_;
  models::Loss loss_;
  at::TensorOptions tensor_options_;
  data::EpochCache cache_;
};

// Adds a point; true when the divergence rule says to stop (the reason goes into `result`).
bool record(LrFinderResult& result, schedules::SmoothedLoss& smoother, int iteration, double lr, double loss,
            double accuracy, double stop_factor) {
  double smoothed = smoother.add(loss);
  result.curve.push_back({iteration, lr, loss, smoothed, accuracy});
  if (!smoother.should_stop()) return false;
  result.stopped_early = true;
  result.stop_reason = std::isfinite(smoothed)
                           ? "smoothed loss " + number(smoothed) + " exceeds " + number(stop_factor) +
                                 " x the best " + number(smoother.best())
                           : "smoothed loss is not finite";
  result.stop_reason += " at lr " + number(lr) + " (iteration " + std::to_string(iteration) + ")";
  return true;
}

void sweep_exponential(BatchStepper& stepper, const LrFinderOptions& options, LrFinderResult& result) {
  schedules::SmoothedLoss smoother(options.beta, options.stop_factor);
  for (int i = 0; i <= options.num_it; ++i) {
    double lr = schedules::range_test_lr(i, options.start, options.end, options.num_it);
    StepResult step = stepper.step(i, lr);
    if (record(result, smoother, i, lr, step.loss, kNaN, options.stop_factor)) return;
  }
  result.stop_reason = "reached the end lr " + number(options.end) + " after " +
                       std::to_string(options.num_it + 1) + " iterations";
}

void sweep_linear(BatchStepper& stepper, models::Network& network, const data::Dataset& train,
                  const data::Dataset& held_out, const data::BatchPlan& batches, const LrFinderOptions& options,
                  LrFinderResult& result) {
  const std::int64_t total = options.linear_epochs * data::batches_per_epoch(train.images.size(0), batches);
  const std::int64_t every = std::max<std::int64_t>(1, total / options.num_it);
  std::int64_t count = held_out.images.size(0);
  if (options.eval_examples > 0) count = std::min(count, options.eval_examples);
  if (count < 1) throw std::invalid_argument("run_lr_finder: linear mode needs held-out examples");
  at::Tensor eval_inputs = held_out.images.slice(0, 0, count).to(stepper.tensor_options());
  at::Tensor eval_labels = held_out.labels.slice(0, 0, count).to(stepper.tensor_options().device());

  schedules::SmoothedLoss smoother(options.beta, options.stop_factor);
  for (std::int64_t t = 0; t < total; ++t) {
    double fraction = total > 1 ? static_cast<double>(t) / static_cast<double>(total - 1) : 0.0;
    double lr = options.start + (options.end - options.start) * fraction;
    StepResult step = stepper.step(t, lr);
    double accuracy = kNaN;
    if ((t + 1) % every == 0 || t + 1 == total) {
      accuracy = evaluate(network, eval_inputs, eval_labels, options.eval_batch_size, true, options.loss).accuracy;
    }
    if (record(result, smoother, static_cast<int>(t), lr, step.loss, accuracy, options.stop_factor)) return;
  }
  result.stop_reason = "reached the end lr " + number(options.end) + " after " + std::to_string(total) +
                       " iterations (" + std::to_string(options.linear_epochs) + " epochs)";
}

}  // namespace

void LrFinderOptions::check() const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("LR finder: " + what); };
  if (mode != "exp" && mode != "linear") fail("mode '" + mode + "' is not one of exp, linear");
  if (!(start > 0) || !std::isfinite(start)) fail("start must be a positive number, got " + number(start));
  if (!(end > start) || !std::isfinite(end)) fail("end must be finite and > start, got " + number(end));
  if (num_it < 1) fail("num_it must be >= 1, got " + std::to_string(num_it));
  if (!(beta >= 0 && beta < 1)) fail("beta must be in [0, 1), got " + number(beta));
  if (!(stop_factor > 1)) fail("stop_factor must be > 1, got " + number(stop_factor));
  if (!(momentum >= 0 && momentum < 1)) fail("momentum must be in [0, 1), got " + number(momentum));
  if (linear_epochs < 1) fail("linear_epochs must be >= 1, got " + std::to_string(linear_epochs));
  if (eval_examples < 0) fail("eval_examples must be >= 0, got " + std::to_string(eval_examples));
  if (eval_batch_size < 1) fail("eval_batch_size must be >= 1, got " + std::to_string(eval_batch_size));
}

std::vector<std::string> lr_finder_rules() { return schedules::lr_rule_names(); }

LrFinderResult run_lr_finder(models::Network& network, Optimizer& optimizer, const data::Dataset& train,
                             const data::Dataset& held_out, const data::BatchPlan& batches,
                             const data::Augmentation& augmentation, std::uint64_t seed,
                             const LrFinderOptions& options, const std::string& rule) {
  options.check();
  schedules::suggestion_by_rule({}, rule);  // throws for an unknown rule before any work
  LrFinderResult result;
  result.mode = options.mode;
  result.rule = rule;

  Snapshot snapshot(network, optimizer);
  try {
    network.set_training(true);
    BatchStepper stepper(network, optimizer, train, batches, augmentation, seed, options.momentum, options.loss);
    if (options.mode == "exp") {
      sweep_exponential(stepper, options, result);
    } else {
      sweep_linear(stepper, network, train, held_out, batches, options, result);
    }
  } catch (...) {
    snapshot.restore(options.restore_training);
    throw;
  }
  snapshot.restore(options.restore_training);

  std::vector<double> lrs, smoothed;
  for (const auto& point : result.curve) {
    lrs.push_back(point.lr);
    smoothed.push_back(point.smoothed);
  }
  try {
    result.suggestions = schedules::suggest_lr(lrs, smoothed);
  } catch (const std::invalid_argument&) {
    // Too short a curve (an early stop): no suggestion rather than a made-up one.
    result.suggestions = {};
    result.suggestions.smith_note = "too few points before the stop";
  }
  result.chosen = schedules::suggestion_by_rule(result.suggestions, rule);
  if (rule == "smith") result.chosen_note = result.suggestions.smith_note;
  if (options.mode == "linear") {
    std::vector<double> eval_lrs, accuracies;
    double best = -1;
    for (const auto& point : result.curve) {
      if (!std::isfinite(point.accuracy)) continue;
      eval_lrs.push_back(point.lr);
      accuracies.push_back(point.accuracy);
      if (point.accuracy > best) {
        best = point.accuracy;
        result.accuracy_peak = point.lr;
      }
    }
    if (eval_lrs.size() >= 3) {
      result.accuracy_smith = schedules::smith_accuracy_lr(eval_lrs, accuracies);
    } else {
      result.accuracy_smith.note = "fewer than 3 accuracy evaluations before the stop";
    }
    if (rule == "smith") {
      result.chosen = result.accuracy_smith.lr;
      result.chosen_note = result.accuracy_smith.note;
    }
  }
  return result;
}

}  // namespace curvtrack::train
