#pragma once
// The LR range test (docs/methods.md section 1.5): a sweep of learning rates on training batches that
// leaves the model and the optimizer exactly as it found them.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "curvtrack/data/augment.hpp"
#include "curvtrack/data/dataset.hpp"
#include "curvtrack/data/sampler.hpp"
#include "curvtrack/models/loss.hpp"
#include "curvtrack/models/network.hpp"
#include "curvtrack/schedules/lr_range.hpp"
#include "curvtrack/train/optimizer.hpp"

namespace curvtrack::train {

/// Settings of the range test; check() explains what is wrong.
struct LrFinderOptions {
  std::string mode = "exp";          ///< exp (fastai's exponential sweep, judged on the loss) | linear (Smith 2015/2017, judged on accuracy)
  double start = 1e-7;               ///< first learning rate, > 0
  double end = 10;                   ///< last learning rate, > start
  int num_it = 100;                  ///< exp: the sweep has num_it + 1 batches; linear: ~num_it evaluations
  double beta = 0.98;                ///< smoothing factor of the training loss, in [0, 1)
  double stop_factor = 4.0;          ///< stop once the smoothed loss exceeds this times its best (or is not finite)
  double momentum = 0.9;             ///< fixed momentum (Adam: beta1) during the sweep
  int linear_epochs = 3;             ///< linear: epochs the lr takes to rise from start to end
  std::int64_t eval_examples = 2000; ///< linear: accuracy measured on the first N held-out examples (0: all)
  std::int64_t eval_batch_size = 1024; ///< linear: held-out examples per forward pass
  bool restore_training = true;      ///< training mode the network is left in (Network cannot report its mode)
  models::Loss loss = models::Loss::kCrossEntropy;  ///< the training loss (the run's train.loss)
  /// Throws std::invalid_argument naming the option at fault.
  void check() const;
};

/// One point of the curve: the batch of `iteration` trained at `lr`.
struct LrFinderPoint {
  int iteration;    ///< 0-based batch index of the sweep (= the run's step whose batch it used)
  double lr;        ///< learning rate of this update
  double loss;      ///< mean loss of the batch before the update
  double smoothed;  ///< debiased exponential average of the losses so far
  double accuracy;  ///< linear mode: held-out accuracy after this update at evaluation points, else NaN
};

/// Marks a suggestion the curve could not support.
inline constexpr double kNoLr = std::numeric_limits<double>::quiet_NaN();

/// The curve, why it ended, and the learning rates it suggests.
struct LrFinderResult {
  std::vector<LrFinderPoint> curve;        ///< one point per training batch, in sweep order
  bool stopped_early = false;              ///< the divergence rule ended the sweep before the end lr
  std::string stop_reason;                 ///< why the sweep ended ("reached end lr ..." when it did not stop early)
  schedules::LrSuggestions suggestions;    ///< smith/minimum/steep/valley on the smoothed loss (NaN when too few points)
  schedules::LrChoice accuracy_smith;      ///< linear: Smith's rule on the held-out accuracy (NaN in exp mode)
  double accuracy_peak = kNoLr;            ///< linear: lr of the highest held-out accuracy (NaN in exp mode)
  double chosen = kNoLr;                   ///< the lr `rule` names (linear + smith: accuracy_smith); NaN if none
  std::string chosen_note;                 ///< why `chosen` is NaN, when it is
  std::string rule;                        ///< smith | minimum | steep | valley
  std::string mode;                        ///< exp | linear
};

/// Suggestion rules run_lr_finder accepts (schedules::lr_rule_names(): smith, minimum, steep, valley).
std::vector<std::string> lr_finder_rules();

/// Runs the range test. Batch i is data::step_indices(i, ..., batches, seed), augmented as the
/// trainer would at step i. Exp: lr_i = start*(end/start)^(i/num_it), i = 0..num_it. Linear: the lr
/// rises linearly from start to end over linear_epochs epochs; held-out accuracy is measured every
/// max(1, steps/num_it) updates and at the last one; rule smith chooses by that accuracy
/// (schedules::smith_accuracy_lr), the other rules by the loss curve. Both modes stop early when the
/// smoothed loss diverges (a status in the result, not an exception). Parameters, buffers, gradients
/// and optimizer state are restored bit for bit afterwards, and the network is left in
/// options.restore_training mode. Throws std::invalid_argument for bad options or a rule not in
/// lr_finder_rules().
LrFinderResult run_lr_finder(models::Network& network, Optimizer& optimizer, const data::Dataset& train,
                             const data::Dataset& held_out, const data::BatchPlan& batches,
                             const data::Augmentation& augmentation, std::uint64_t seed,
                             const LrFinderOptions& options, const std::string& rule);

}  // namespace curvtrack::train
