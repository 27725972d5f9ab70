#include "curvtrack/train/trainer.hpp"

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/progress.hpp"
#include "curvtrack/core/shares.hpp"
#include "curvtrack/core/signals.hpp"
#include "curvtrack/train/step.hpp"

namespace curvtrack::train {

void TrainerOptions::bind(core::OptionBindings& bindings) {
  bindings.add("train.loss", loss, "training loss: cross-entropy, or mse (1/2 ||f - t||^2 summed over outputs)",
               models::loss_names());
  bindings.add("train.log_every", log_every, "metrics row every N steps");
  bindings.add("train.eval_every", eval_every, "test evaluation every N steps (0: every epoch)");
  bindings.add("train.checkpoint_every", checkpoint_every, "checkpoint every N steps (0: only at the end and on signals)");
  bindings.add("train.divergence_factor", divergence_factor, "diverged when the loss exceeds this times the first loss");
}

void TrainerOptions::check() const {
  if (batches.batch_size < 1) {
    throw core::UsageError("data.batch_size must be >= 1, got " + std::to_string(batches.batch_size));
  }
  if (log_every <= 0) throw core::UsageError("train.log_every must be >= 1");
  if (eval_every < 0 || checkpoint_every < 0) {
    throw core::UsageError("train.eval_every and train.checkpoint_every must be >= 0");
  }
  if (!(divergence_factor > 1)) throw core::UsageError("train.divergence_factor must be > 1");
}
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The loop's moving parts, so each phase of a step is a small function.
class Loop {
 public:
  Loop(TrainingSetup& setup, runs::MetricsTable& metrics, TrainerState state, const TrainerOptions& options,
       const std::vector<Callback*>& callbacks)
      : setup_(setup), metrics_(metrics), state_(state), options_(options), callbacks_(callbacks),
        total_(setup.schedule.total_steps()),
        steps_per_epoch_(data::batches_per_epoch(setup.train.images.size(0), options.batches)),
        eval_every_(options.eval_every > 0 ? options.eval_every : steps_per_epoch_),
        progress_("train", total_, options.quiet) {
    auto parameter = setup.network.parameters().front();
    options_tensor_ = parameter.options();
  }

  TrainOutcome run() {
    core::set_resumable(state_.step > 0);
    for (std::size_t c = 0; c < callbacks_.size() && c < state_.callback_states.size(); ++c) {
      callbacks_[c]->load_state(state_.callback_states[c]);
    }
    setup_.network.set_training(true);
    start_ = Clock::now();
    while (state_.step < total_) {
      Requests requests = agreed_requests();
      if (requests.stop) return preempt(*requests.stop);
      if (requests.checkpoint) checkpoint();
      if (state_.step > 0 && options_.checkpoint_every > 0 && state_.step % options_.checkpoint_every == 0 &&
          state_.step != last_checkpoint_) {
        checkpoint();
      }
      schedules::ScheduleValue value = setup_.schedule.at(state_.step);
      for (Callback* callback : callbacks_) callback->before_step(state_.step, setup_.network, value);
      if (!one_step(value)) return finish(runs::RunStatus::kDiverged);
    }
    // The final checkpoint, like every other, precedes the probe of its step: a run killed
    // after it re-probes the end from the same warm-start state, to the same record.
    checkpoint();
    schedules::ScheduleValue last = setup_.schedule.at(total_ - 1);
    for (Callback* callback : callbacks_) callback->before_step(total_, setup_.network, last);
    runs::MetricsRow row = {{"step", static_cast<double>(total_)},
                            {"epoch", static_cast<double>(total_) / static_cast<double>(steps_per_epoch_)},
                            {"weight_norm", global_norm(setup_.network.parameters())}};
    add_evaluation(row);
    metrics_.append(row);
    return finish(runs::RunStatus::kCompleted);
  }

 private:
  std::optional<std::string> stop_reason() const {
    if (core::stop_requested()) return std::string("stop signal");
    if (options_.max_seconds > 0 && steps_this_process_ > 0) {
      double per_step = seconds_since(start_) / static_cast<double>(steps_this_process_);
      // Leave room for two more steps and a checkpoint before the budget ends.
      if (seconds_since(start_) + 3.0 * per_step + 5.0 > options_.max_seconds) return std::string("wall-clock budget");
    }
    return std::nullopt;
  }

  struct Requests {
    std::optional<std::string> stop;
    bool checkpoint = false;
  };

  // This process's stop and checkpoint requests; with several ranks, a request on any rank
  // holds for all of them, so that they stop (and checkpoint) at the same step.
  Requests agreed_requests() {
    Requests requests{stop_reason(), core::take_checkpoint_request()};
    if (!options_.parallel.active()) return requests;
    at::Tensor flags = at::tensor({requests.stop ? 1.0 : 0.0, requests.checkpoint ? 1.0 : 0.0}, at::kDouble);
    options_.parallel.sum(flags);
    if (!requests.stop && flags[0].item<double>() > 0) requests.stop = std::string("stop on another rank");
    requests.checkpoint = flags[1].item<double>() > 0;
    return requests;
  }

  // This rank's share of the batch.
  std::vector<std::int64_t> share_of_batch(const std::vector<std::int64_t>& indices) const {
    if (!options_.parallel.active()) return indices;
    core::Share share = core::share_of(static_cast<std::int64_t>(indices.size()), options_.parallel.rank,
                                       options_.parallel.ranks);
    return {indices.begin() + share.begin, indices.begin() + share.end};
  }

  // One update; false when the run diverged.
  bool one_step(const schedules::ScheduleValue& value) {
    const std::int64_t step = state_.step;
    std::vector<std::int64_t> batch =
        epoch_cache_.step_indices(step, setup_.train.images.size(0), options_.batches, options_.data_seed);
    std::vector<std::int64_t> indices = share_of_batch(batch);
    at::Tensor index = at::tensor(indices, at::kLong);
    at::Tensor inputs = setup_.train.images.index_select(0, index);
    if (options_.augmentation.random_crop || options_.augmentation.horizontal_flip) {
      inputs = data::augment_batch(inputs, indices, options_.augmentation, options_.data_seed, step);
    }
    inputs = inputs.to(options_tensor_);
    at::Tensor labels = setup_.train.labels.index_select(0, index).to(options_tensor_.device());
    double momentum = value.momentum.value_or(0.0);
    double weight_norm = global_norm(setup_.network.parameters());

    bool evaluate_now = step % eval_every_ == 0;
    runs::MetricsRow row = {{"step", static_cast<double>(step)},
                            {"epoch", static_cast<double>(step) / static_cast<double>(steps_per_epoch_)},
                            {"lr", value.lr},
                            {"momentum", momentum},
                            {"weight_norm", weight_norm}};
    if (evaluate_now) add_evaluation(row);
    GradientHook gradient;
    for (Callback* callback : callbacks_) {
      if (options_.parallel.active() || !callback->wants_step_graph(step)) continue;
      gradient = [this, callback, step](const at::Tensor& loss, double accuracy, std::int64_t examples) {
        return callback->step_gradient(step, setup_.network, loss, accuracy, examples);
      };
      break;
    }
    StepResult result = options_.parallel.active()
                            ? train_step_shared(setup_.network, setup_.optimizer, inputs, labels,
                                                static_cast<std::int64_t>(batch.size()), options_.parallel, value.lr, momentum,
                                                options_.loss)
                            : train_step(setup_.network, setup_.optimizer, inputs, labels, value.lr, momentum, options_.loss,
                                         gradient);
    row["train_loss"] = result.loss;
    row["train_accuracy"] = result.accuracy;
    row["grad_norm"] = result.gradient_norm;
    row["effective_lr"] = momentum < 1.0 ? value.lr / (1.0 - momentum) : NAN;
    if (step == 0) state_.initial_loss = result.loss;
    ++state_.step;
    ++steps_this_process_;

    bool diverged = !std::isfinite(result.loss) ||
                    (state_.initial_loss > 0 && result.loss > options_.divergence_factor * state_.initial_loss);
    if (diverged || evaluate_now || step % options_.log_every == 0) metrics_.append(row);
    progress_.update(state_.step, "loss " + std::to_string(result.loss) + " lr " + std::to_string(value.lr));
    if (diverged) {
      reason_ = "loss " + std::to_string(result.loss) + " at step " + std::to_string(step) +
                (std::isfinite(result.loss) ? " exceeds " + std::to_string(options_.divergence_factor) +
                                                  " x the first loss " + std::to_string(state_.initial_loss)
                                            : " is not finite");
    }
    return !diverged;
  }

  void add_evaluation(runs::MetricsRow& row) {
    bool training = true;
    Evaluation test = evaluate(setup_.network, setup_.test.images.to(options_tensor_),
                               setup_.test.labels.to(options_tensor_.device()), options_.eval_batch_size, training,
                               options_.loss);
    row["test_loss"] = test.loss;
    row["test_accuracy"] = test.accuracy;
  }

  void checkpoint() {
    state_.callback_states.clear();
    for (Callback* callback : callbacks_) state_.callback_states.push_back(callback->state());
    save_checkpoint(setup_.run, setup_.network, setup_.optimizer, state_);
    last_checkpoint_ = state_.step;
    core::set_resumable(true);
    setup_.meta.record().checkpoint_step = state_.step;
    setup_.meta.save();
  }

  TrainOutcome preempt(const std::string& reason) {
    checkpoint();
    reason_ = reason;
    return finish(runs::RunStatus::kPreempted);
  }

  TrainOutcome finish(runs::RunStatus status) {
    progress_.finish(runs::status_name(status));
    for (Callback* callback : callbacks_) callback->on_end(state_.step, status);
    return {status, state_.step, reason_};
  }

  TrainingSetup& setup_;
  runs::MetricsTable& metrics_;
  TrainerState state_;
  const TrainerOptions& options_;
  const std::vector<Callback*>& callbacks_;
  const std::int64_t total_;
  const std::int64_t steps_per_epoch_;
  const std::int64_t eval_every_;
  core::Progress progress_;
  at::TensorOptions options_tensor_;
  Clock::time_point start_;
  std::int64_t steps_this_process_ = 0;
  data::EpochCache epoch_cache_;  // the epoch's order is shuffled once, not at every step
  std::int64_t last_checkpoint_ = -1;
  std::string reason_;
};

}  // namespace

std::vector<std::string> metrics_columns() {
  return {"step", "epoch", "lr", "momentum", "effective_lr", "train_loss", "train_accuracy",
          "grad_norm", "weight_norm", "test_loss", "test_accuracy"};
}

TrainOutcome train(TrainingSetup& setup, runs::MetricsTable& metrics, TrainerState state,
                   const TrainerOptions& options, const std::vector<Callback*>& callbacks) {
  return Loop(setup, metrics, state, options, callbacks).run();
}

}  // namespace curvtrack::train
