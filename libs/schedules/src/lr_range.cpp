#include "curvtrack/schedules/lr_range.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace curvtrack::schedules {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kDropLast = 5;
constexpr std::size_t kMinKept = 3;  // central differences need a point on each side
}  // namespace

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

  return {lr[lowest] / 10.0, lr[steepest], lr[valley]};
}

}  // namespace curvtrack::schedules
