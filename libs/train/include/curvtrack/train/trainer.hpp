#pragma once
// The training loop: batches from pure samplers, the schedule's lr and momentum at each step,
// metrics rows, evaluations, checkpoints, signals, a wall-clock budget and a divergence guard.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "curvtrack/core/options.hpp"
#include "curvtrack/data/augment.hpp"
#include "curvtrack/data/dataset.hpp"
#include "curvtrack/data/sampler.hpp"
#include "curvtrack/models/network.hpp"
#include "curvtrack/runs/meta.hpp"
#include "curvtrack/runs/metrics_table.hpp"
#include "curvtrack/runs/run_directory.hpp"
#include "curvtrack/schedules/schedule.hpp"
#include "curvtrack/train/checkpoint.hpp"
#include "curvtrack/train/optimizer.hpp"
#include "curvtrack/train/step.hpp"

namespace curvtrack::train {

/// Loop settings ([train] and [data] sections).
struct TrainerOptions {
  data::BatchPlan batches;
  data::Augmentation augmentation;
  std::uint64_t data_seed = 0;            ///< data order and augmentation
  models::Loss loss = models::Loss::kCrossEntropy;  ///< the training (and test) loss
  std::int64_t log_every = 50;            ///< metrics row every N steps (and at evaluations)
  std::int64_t eval_every = 0;            ///< test evaluation every N steps; 0 = once per epoch
  std::int64_t eval_batch_size = 1024;
  std::int64_t checkpoint_every = 500;    ///< 0 = only at the end and on signals
  double divergence_factor = 10.0;        ///< diverged when loss > factor * first loss, or not finite
  double max_seconds = 0.0;               ///< wall-clock budget for this process; 0 = none
  bool quiet = false;
  /// Several ranks: each takes its share of every batch (batches.batch_size stays the batch
  /// over all ranks) and stop or checkpoint requests on any rank are agreed on by all.
  DataParallel parallel;

  /// Binds the loop's train.* keys (log_every, eval_every, checkpoint_every, divergence_factor).
  void bind(core::OptionBindings& bindings);
  /// Throws core::UsageError naming the train.* or data.* key at fault.
  void check() const;
};

/// Hooks into the loop (e.g. curvature probes). Called with the network as it is before update `step`.
class Callback {
 public:
  virtual ~Callback() = default;
  /// Before update `step` (and with step == total at the end); `value` is what update `step` uses.
  virtual void before_step(std::int64_t step, models::Network& network, const schedules::ScheduleValue& value) {}
  /// Once when the loop ends, with the final status.
  virtual void on_end(std::int64_t step, runs::RunStatus status) {}
  /// Whether this callback measures on update `step`'s own graph (one rank only): then
  /// step_gradient replaces that step's backward pass.
  virtual bool wants_step_graph(std::int64_t step) const { return false; }
  /// Update `step`'s gradient of the batch's mean `loss` (with its graph), one detached tensor
  /// per parameter, equal to what loss.backward() gives; whatever it measures on the graph
  /// must leave the network, its gradients and every random generator as they were.
  virtual std::vector<at::Tensor> step_gradient(std::int64_t step, models::Network& network, const at::Tensor& loss,
                                                double accuracy, std::int64_t examples) {
    return {};
  }
  /// Seconds this callback has spent (reported as probing time).
  virtual double seconds() const { return 0.0; }
  /// State to keep in checkpoints, so that a resumed run continues exactly.
  virtual std::vector<at::Tensor> state() const { return {}; }
  /// Restores state() output from a checkpoint.
  virtual void load_state(const std::vector<at::Tensor>& state) {}
};

/// How a training call ended.
struct TrainOutcome {
  runs::RunStatus status = runs::RunStatus::kCompleted;  ///< completed, diverged or preempted
  std::int64_t step = 0;   ///< updates done
  std::string reason;      ///< why it stopped early, if it did
};

/// Everything a run needs, owned elsewhere.
struct TrainingSetup {
  models::Network& network;
  Optimizer& optimizer;
  const schedules::Schedule& schedule;
  const data::Dataset& train;
  const data::Dataset& test;
  const runs::RunDirectory& run;
  runs::RunMeta& meta;
};

/// Metrics columns written by train().
std::vector<std::string> metrics_columns();

/// Trains from `state` (a fresh run has step 0; callbacks get their saved state back) to schedule.total_steps(), appending to
/// `metrics`. Exits early with status preempted after writing a checkpoint when a stop signal
/// arrives or the budget runs out, and with status diverged when the loss explodes.
TrainOutcome train(TrainingSetup& setup, runs::MetricsTable& metrics, TrainerState state,
                   const TrainerOptions& options, const std::vector<Callback*>& callbacks = {});

}  // namespace curvtrack::train
