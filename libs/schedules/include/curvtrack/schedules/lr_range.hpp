#pragma once
// The LR range test's math (docs/methods.md section 1.5), free of any model or optimizer.

#include <vector>

namespace curvtrack::schedules {

/// Learning rate of sweep step i (0 <= i <= num_it): start*(end/start)^(i/num_it).
/// Throws std::invalid_argument for start <= 0, end <= 0, num_it <= 0 or i outside [0, num_it].
double range_test_lr(int i, double start, double end, int num_it);

/// Exponentially smoothed loss of the range test, debiased, with the divergence stop rule.
class SmoothedLoss {
 public:
  /// beta in [0, 1) is the smoothing factor; stop when smoothed > stop_factor * best so far.
  explicit SmoothedLoss(double beta = 0.98, double stop_factor = 4.0);
  /// Adds the loss of the next batch; returns the debiased value s_i/(1-beta^(i+1)).
  double add(double loss);
  /// The latest debiased smoothed loss (NaN before the first add).
  double value() const { return value_; }
  /// The lowest debiased smoothed loss so far (NaN before the first finite one).
  double best() const { return best_; }
  /// Number of losses added.
  int count() const { return count_; }
  /// True once the latest smoothed loss is not finite or exceeds stop_factor * best().
  bool should_stop() const;

 private:
  double beta_;
  double stop_factor_;
  double average_ = 0.0;
  double value_;
  double best_;
  int count_ = 0;
};

/// Learning rates suggested by a range-test curve (same units as the swept lrs).
struct LrSuggestions {
  double minimum;  ///< lr at the lowest loss, divided by 10
  double steep;    ///< lr at the most negative d loss / d log10 lr (central differences)
  double valley;   ///< lr in the middle of the longest descending stretch (fastai's valley)
};

/// Suggestions computed on the curve without its first 10% (n/10 points) and last 5 points.
/// lrs must be positive and strictly increasing, losses finite where kept; throws
/// std::invalid_argument on mismatched sizes or when fewer than 3 points remain.
LrSuggestions suggest_lr(const std::vector<double>& lrs, const std::vector<double>& smoothed_losses);

}  // namespace curvtrack::schedules
