#pragma once
// The LR range test's math (docs/methods.md section 1.5), free of any model or optimizer.

#include <cstddef>
#include <limits>
#include <string>
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

/// Learning rates suggested by a range-test curve (same units as the swept lrs); NaN where the
/// curve cannot support one.
struct LrSuggestions {
  double minimum = std::numeric_limits<double>::quiet_NaN();  ///< lr at the lowest loss, divided by 10
  double steep = std::numeric_limits<double>::quiet_NaN();    ///< lr at the most negative d loss / d log10 lr (central differences)
  double valley = std::numeric_limits<double>::quiet_NaN();   ///< lr in the middle of the longest descending stretch (fastai's valley)
  double smith = std::numeric_limits<double>::quiet_NaN();    ///< the largest lr still improving before the loss turns (smith_turn)
  std::string smith_note;  ///< why smith is NaN (the loss never fell) or a lower bound (it never turned up); else empty
};

/// Where a curve stops improving (Smith's rule, docs/methods.md section 1.5). `score` is to be
/// maximised (the negated loss, or an accuracy); points [0, considered) are candidates, later ones
/// (a tail, non-finite allowed: counted as worse than anything) only show that the curve turned.
/// With m = considered, a = the centred moving average of score over 5 points (3 when m < 20;
/// fewer at the ends), sigma = 1.4826 * median |second difference of score| / sqrt(6) (the noise of one point),
/// p = the first index of max(a): the choice is the first index t <= p with a_j >= a_p - sigma for
/// every j in [t, p], i.e. where the curve last enters the noise band of its best value. The
/// curve improved when t > 0 (a_{t-1} lies below the band); it turned when a later point, of the
/// considered ones or of the tail, lies below a_p - sigma or is not finite. Without a turn, t is
/// a lower bound: the curve was still improving at the end of the candidates.
struct Turn {
  std::size_t index = 0;  ///< t
  bool improved = false;  ///< t > 0; otherwise t means nothing
  bool turned = false;    ///< a later point fell below the band
};
/// Throws std::invalid_argument when considered < 3, considered > score.size() or a candidate is
/// not finite.
Turn smith_turn(const std::vector<double>& score, std::size_t considered);

/// Suggestions computed on the curve without its first 10% (n/10 points) and last 5 (smith also
/// looks at those 5 to see the loss turn up). lrs must be positive and strictly increasing,
/// losses finite where kept; throws std::invalid_argument on mismatched sizes or when fewer than
/// 3 points remain.
LrSuggestions suggest_lr(const std::vector<double>& lrs, const std::vector<double>& smoothed_losses);

/// Smith's rule on a linear range test's validation accuracy: smith_turn over all evaluation
/// points (lrs positive and increasing, accuracies finite, at least 3). A NaN lr and a note when
/// the accuracy never rose; a note saying the lr is a lower bound when it never turned.
struct LrChoice {
  double lr = std::numeric_limits<double>::quiet_NaN();
  std::string note;
};
LrChoice smith_accuracy_lr(const std::vector<double>& lrs, const std::vector<double>& accuracies);

/// The rules a range test can choose by: smith (the default), minimum, steep, valley.
const std::vector<std::string>& lr_rule_names();

/// The suggestion named by `rule`; throws std::invalid_argument for a name not in lr_rule_names().
double suggestion_by_rule(const LrSuggestions& suggestions, const std::string& rule);

}  // namespace curvtrack::schedules
