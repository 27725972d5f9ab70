#include "test_prelude.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "curvtrack/schedules/lr_range.hpp"

using namespace curvtrack::schedules;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

constexpr double kPi = 3.141592653589793;

TEST_CASE("the exponential sweep runs from start to end geometrically", "[unit]") {
  CHECK_THAT(range_test_lr(0, 1e-7, 10.0, 100), WithinRel(1e-7, 1e-15));
  CHECK_THAT(range_test_lr(100, 1e-7, 10.0, 100), WithinRel(10.0, 1e-12));
  CHECK_THAT(range_test_lr(50, 1e-7, 10.0, 100), WithinRel(1e-3, 1e-12));
  // Constant ratio between consecutive rates: 1e8^(1/100).
  double ratio = std::pow(1e8, 0.01);
  for (int i = 1; i <= 100; ++i) {
    CHECK_THAT(range_test_lr(i, 1e-7, 10.0, 100) / range_test_lr(i - 1, 1e-7, 10.0, 100), WithinRel(ratio, 1e-12));
  }
  CHECK_THROWS_AS(range_test_lr(101, 1e-7, 10.0, 100), std::invalid_argument);
  CHECK_THROWS_AS(range_test_lr(0, 0.0, 10.0, 100), std::invalid_argument);
  CHECK_THROWS_AS(range_test_lr(0, 1e-7, 10.0, 0), std::invalid_argument);
}

TEST_CASE("the debiased smoothed loss starts at the first loss and follows the EMA", "[unit]") {
  SmoothedLoss smoothed;
  CHECK_THAT(smoothed.add(2.5), WithinRel(2.5, 1e-14));
  // s_2 = 0.98*0.02*2.5 + 0.02*1.5, debiased by 1 - 0.98^2.
  double expected = (0.98 * 0.02 * 2.5 + 0.02 * 1.5) / (1.0 - 0.98 * 0.98);
  CHECK_THAT(smoothed.add(1.5), WithinRel(expected, 1e-12));
  CHECK(smoothed.count() == 2);
  CHECK_THAT(smoothed.best(), WithinRel(expected, 1e-15));

  SmoothedLoss flat;
  for (int i = 0; i < 200; ++i) CHECK_THAT(flat.add(0.7), WithinRel(0.7, 1e-12));  // debiasing keeps it unbiased
}

TEST_CASE("the range test stops once the smoothed loss exceeds four times its best", "[unit]") {
  SmoothedLoss smoothed;
  for (int i = 0; i < 50; ++i) {
    smoothed.add(1.0);
    CHECK_FALSE(smoothed.should_stop());
  }
  double best = smoothed.best();
  CHECK_THAT(best, WithinRel(1.0, 1e-12));
  int added = 0;
  while (!smoothed.should_stop() && added < 1000) {
    smoothed.add(1000.0);
    ++added;
    INFO("after " << added << " diverging losses: smoothed " << smoothed.value());
    CHECK(smoothed.should_stop() == (smoothed.value() > 4.0 * best));
  }
  CHECK(smoothed.should_stop());
  CHECK(added < 1000);

  SmoothedLoss nan_loss;
  nan_loss.add(1.0);
  nan_loss.add(std::numeric_limits<double>::quiet_NaN());
  CHECK(nan_loss.should_stop());
  SmoothedLoss inf_loss;
  inf_loss.add(std::numeric_limits<double>::infinity());
  CHECK(inf_loss.should_stop());
}

namespace {

// A bowl over x = log10 lr: L(x) = -cos(pi (x - x_min) / width), minimum at x_min, steepest
// descent at x_min - width/2, a maximum at x_min - width (the top of the descending stretch).
constexpr double kXMin = -2.04;  // on the grid: -7 + 0.08 * 62
constexpr double kWidth = 3.0;
double bowl(double lr) { return -std::cos(kPi * (std::log10(lr) - kXMin) / kWidth); }

}  // namespace

TEST_CASE("lr suggestions land on a synthetic bowl's minimum, steepest point and valley", "[unit]") {
  std::vector<double> lrs, losses;
  for (int i = 0; i <= 100; ++i) {
    lrs.push_back(range_test_lr(i, 1e-7, 10.0, 100));
    losses.push_back(bowl(lrs.back()));
  }
  const double grid_step = 0.08;  // in log10 lr
  LrSuggestions s = suggest_lr(lrs, losses);
  CHECK_THAT(s.minimum, WithinRel(std::pow(10.0, kXMin) / 10.0, 1e-9));
  CHECK_THAT(std::log10(s.steep), WithinAbs(kXMin - kWidth / 2.0, grid_step));
  // The valley lies in the middle third of the descending stretch [x_min - width, x_min].
  double valley = std::log10(s.valley);
  INFO("valley at log10 lr " << valley);
  CHECK(valley >= kXMin - kWidth * 2.0 / 3.0 - grid_step);
  CHECK(valley <= kXMin - kWidth / 3.0 + grid_step);
}

TEST_CASE("the valley of a strictly descending curve is fastai's offset into it", "[unit]") {
  // 40 points: the first 4 and the last 5 are dropped, leaving 31 descending points (span 30).
  std::vector<double> lrs, losses;
  for (int i = 0; i < 40; ++i) {
    lrs.push_back(std::pow(10.0, -5.0 + 0.1 * i));
    losses.push_back(10.0 - i);
  }
  LrSuggestions s = suggest_lr(lrs, losses);
  CHECK(s.valley == lrs[4 + 10 + 5]);
  CHECK(s.minimum == lrs[34] / 10.0);  // lowest kept loss is the last kept point
}

TEST_CASE("lr suggestions need enough points and matching sizes", "[unit]") {
  std::vector<double> lrs = {1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000};
  std::vector<double> losses = {3, 2, 1, 2, 3, 4, 5, 6};
  CHECK_NOTHROW(suggest_lr(lrs, losses));  // 8 points: 3 remain
  CHECK_THROWS_AS(suggest_lr({lrs.begin(), lrs.end() - 1}, {losses.begin(), losses.end() - 1}), std::invalid_argument);
  CHECK_THROWS_AS(suggest_lr(lrs, {losses.begin(), losses.end() - 1}), std::invalid_argument);
  CHECK(suggest_lr(lrs, losses).steep == 1e-3);  // the only interior point of the 3 kept
}
