#include "curvtrack/schedules/lr_range.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace curvtrack::schedules {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kDropLast = 5;
constexpr std::size_t kMinKept = 3;  // central differences need a point on each side
// smith_turn's moving average spans 5 points, or 3 on curves of fewer than 20 candidates
// (where 5 would smear a turn over a quarter of the curve).
constexpr std::size_t kWideWindowFrom = 20;

// Centred moving average over up to 2 * half + 1 points, truncated at the ends.
std::vector<double> moving_average(const std::vector<double>& y, std::size_t m) {
  const std::size_t half = m >= kWideWindowFrom ? 2 : 1;
  std::vector<double> a(m);
  for (std::size_t k = 0; k < m; ++k) {
    std::size_t from = k >= half ? k - half : 0;
    std::size_t to = std::min(m - 1, k + half);
    double sum = 0.0;
    for (std::size_t j = from; j <= to; ++j) sum += y[j];
    a[k] = sum / static_cast<double>(to - from + 1);
  }
  return a;
}

// Noise of one point: the MAD of second differences, scaled to a standard deviation for
// independent Gaussian noise (a second difference of such noise has variance 6 sigma^2).
double point_noise(const std::vector<double>& y, std::size_t m) {
  std::vector<double> second;
  for (std::size_t k = 1; k + 1 < m; ++k) second.push_back(std::fabs(y[k + 1] - 2.0 * y[k] + y[k - 1]));
  std::nth_element(second.begin(), second.begin() + static_cast<std::ptrdiff_t>(second.size() / 2), second.end());
  return 1.4826 * second[second.size() / 2] / std::sqrt(6.0);
}

}  // namespace

Turn smith_turn(const std::vector<double>& score, std::size_t considered) {
  const std::size_t m = considered;
  if (m < kMinKept || m > score.size()) {
    throw std::invalid_argument("smith_turn: needs at least 3 candidate points and no more than the curve's " +
                                std::to_string(score.size()) + ", got " + std::to_string(m));
  }
  for (std::size_t k = 0; k < m; ++k) {
    if (!std::isfinite(score[k])) {
      throw std::invalid_argument("smith_turn: candidate point " + std::to_string(k) + " is not finite");
    }
  }
  std::vector<double> a = moving_average(score, m);
  const double sigma = point_noise(score, m);
  const std::size_t peak = static_cast<std::size_t>(std::max_element(a.begin(), a.end()) - a.begin());
  const double floor = a[peak] - sigma;
  std::size_t t = peak;
  while (t > 0 && a[t - 1] >= floor) --t;

  Turn turn;
  turn.index = t;
  turn.improved = t > 0;
  for (std::size_t j = peak + 1; j < score.size() && !turn.turned; ++j) {
    turn.turned = !std::isfinite(score[j]) || score[j] < floor;
  }
  return turn;
}

const std::vector<std::string>& lr_rule_names() {
  static const std::vector<std::string> names = {"smith", "minimum", "steep", "valley"};
  return names;
}

double suggestion_by_rule(const LrSuggestions& suggestions, const std::string& rule) {
  if (rule == "smith") return suggestions.smith;
  if (rule == "minimum") return suggestions.minimum;
  if (rule == "steep") return suggestions.steep;
  if (rule == "valley") return suggestions.valley;
  throw std::invalid_argument("LR finder rule '" + rule + "' is not one of smith, minimum, steep, valley");
}

LrChoice smith_accuracy_lr(const std::vector<double>& lrs, const std::vector<double>& accuracies) {
  if (lrs.size() != accuracies.size()) {
    throw std::invalid_argument("smith_accuracy_lr: " + std::to_string(lrs.size()) + " learning rates but " +
                                std::to_string(accuracies.size()) + " accuracies");
  }
  for (std::size_t k = 0; k < lrs.size(); ++k) {
    if (!(lrs[k] > 0.0) || !std::isfinite(lrs[k]) || (k > 0 && !(lrs[k] > lrs[k - 1]))) {
      throw std::invalid_argument("smith_accuracy_lr: evaluation " + std::to_string(k) +
                                  " has a learning rate that is not positive and increasing");
    }
  }
  Turn turn = smith_turn(accuracies, accuracies.size());
  LrChoice choice;
  if (!turn.improved) {
    choice.note = "the validation accuracy never rose above its first values (try a lower start lr or more evaluations)";
  } else {
    choice.lr = lrs[turn.index];
    if (!turn.turned) choice.note = "the validation accuracy never turned: a lower bound (try a higher end lr)";
  }
  return choice;
}

double range_test_lr(int i, double start, double end, int num_it) {
  if (!(start > 0.0) || !(end > 0.0) || num_it <= 0 || i < 0 || i > num_it) {
    throw std::invalid_argument("range_test_lr: need start > 0, end > 0, num_it >= 1 and 0 <= i <= num_it; got i=" +
                                std::to_string(i) + ", num_it=" + std::to_string(num_it));
  }
  return start * std::pow(end / start, static_cast<double>(i) / static_cast<double>(num_it));
}

SmoothedLoss::SmoothedLoss(double beta, double stop_factor)
    : beta_(beta), stop_factor_(stop_factor), value_(kNaN), best_(kNaN) {
  if (!(beta >= 0.0 && beta < 1.0)) throw std::invalid_argument("SmoothedLoss: beta must be in [0, 1)");
  if (!(stop_factor > 0.0)) throw std::invalid_argument("SmoothedLoss: stop_factor must be > 0");
}

double SmoothedLoss::add(double loss) {
  ++count_;
  average_ = beta_ * average_ + (1.0 - beta_) * loss;
  // The running average starts at 0; dividing by 1-beta^n removes that bias.
  value_ = average_ / (1.0 - std::pow(beta_, count_));
  if (std::isfinite(value_) && !(value_ >= best_)) best_ = value_;  // also true while best_ is NaN
  return value_;
}

bool SmoothedLoss::should_stop() const {
  if (count_ == 0) return false;
  return !std::isfinite(value_) || value_ > stop_factor_ * best_;
}

LrSuggestions suggest_lr(const std::vector<double>& lrs, const std::vector<double>& smoothed_losses) {
  if (lrs.size() != smoothed_losses.size()) {
    throw std::invalid_argument("suggest_lr: " + std::to_string(lrs.size()) + " learning rates but " +
                                std::to_string(smoothed_losses.size()) + " losses");
  }
  const std::size_t n = lrs.size();
  const std::size_t first = n / 10;
  if (n < first + kDropLast + kMinKept) {
    throw std::invalid_argument("suggest_lr: " + std::to_string(n) +
                                " points leave fewer than 3 after dropping the first 10% and the last 5");
  }
  const std::size_t m = n - first - kDropLast;
  std::vector<double> x(m), loss(m), lr(m);
  for (std::size_t k = 0; k < m; ++k) {
    lr[k] = lrs[first + k];
    loss[k] = smoothed_losses[first + k];
    if (!(lr[k] > 0.0) || !std::isfinite(lr[k]) || !std::isfinite(loss[k]) || (k > 0 && !(lr[k] > lr[k - 1]))) {
      throw std::invalid_argument("suggest_lr: point " + std::to_string(first + k) +
                                  " has a non-finite loss or a learning rate that is not positive and increasing");
    }
    x[k] = std::log10(lr[k]);
  }

  std::size_t lowest = 0;
  for (std::size_t k = 1; k < m; ++k) {
    if (loss[k] < loss[lowest]) lowest = k;
  }

  // Central differences put the slope on a grid point (second order), not between two.
  std::size_t steepest = 1;
  double steepest_slope = std::numeric_limits<double>::infinity();
  for (std::size_t k = 1; k + 1 < m; ++k) {
    double slope = (loss[k + 1] - loss[k - 1]) / (x[k + 1] - x[k - 1]);
    if (slope < steepest_slope) {
      steepest_slope = slope;
      steepest = k;
    }
  }

  // fastai's valley: longest strictly decreasing subsequence (O(m^2)); ties go to the
  // earliest end, and among equally long ones ending there to the earliest start.
  std::vector<std::size_t> length(m, 1), start(m);
  for (std::size_t k = 0; k < m; ++k) start[k] = k;
  std::size_t valley_end = 0;
  for (std::size_t k = 1; k < m; ++k) {
    for (std::size_t j = 0; j < k; ++j) {
      if (!(loss[k] < loss[j])) continue;
      if (length[j] + 1 > length[k] || (length[j] + 1 == length[k] && start[j] < start[k])) {
        length[k] = length[j] + 1;
        start[k] = start[j];
      }
    }
    if (length[k] > length[valley_end]) valley_end = k;
  }
  // fastai's offset into the stretch: floor(d/3) + floor(d/6), about halfway.
  const std::size_t span = valley_end - start[valley_end];
  const std::size_t valley = start[valley_end] + span / 3 + span / 6;

  LrSuggestions suggestions;
  suggestions.minimum = lr[lowest] / 10.0;
  suggestions.steep = lr[steepest];
  suggestions.valley = lr[valley];
  // smith: the kept points are candidates, the last 5 (possibly not finite) show the turn.
  std::vector<double> score;
  for (std::size_t k = first; k < n; ++k) score.push_back(-smoothed_losses[k]);
  Turn turn = smith_turn(score, m);
  if (!turn.improved) {
    suggestions.smith_note = "the smoothed loss never fell (try a lower start lr)";
  } else {
    suggestions.smith = lr[turn.index];
    if (!turn.turned) suggestions.smith_note = "the smoothed loss never turned up: a lower bound (try a higher end lr)";
  }
  return suggestions;
}

}  // namespace curvtrack::schedules
