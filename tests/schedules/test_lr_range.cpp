#include "test_prelude.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
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

// ---------------------------------------------------------------------------------------------
// Smith's rule and every rule on synthetic curves with a known turning point, clean and noisy.

namespace {

// A range-test loss over x = log10 lr: flat at 2.3 below x_a, a cosine descent of depth 0.8 to
// its minimum at x_turn (zero slope there), then a quadratic rise, steep as divergence is:
// the loss is still improving up to x_turn and turns up after it.
constexpr double kXa = -4.0;
constexpr double kXTurn = -1.6;  // on the grid: -7 + 0.08 * 67.5 is not, so the turn falls between points
constexpr double kDepth = 0.8;
double turning_loss(double lr) {
  double x = std::log10(lr);
  if (x <= kXa) return 2.3;
  if (x <= kXTurn) return 2.3 - kDepth / 2.0 * (1.0 - std::cos(kPi * (x - kXa) / (kXTurn - kXa)));
  return 2.3 - kDepth + 3.0 * (x - kXTurn) * (x - kXTurn);
}

// The default sweep's 101 learning rates 1e-7 .. 10 and a loss function of them.
template <class Loss>
void sweep(Loss loss, std::vector<double>& lrs, std::vector<double>& losses) {
  lrs.clear();
  losses.clear();
  for (int i = 0; i <= 100; ++i) {
    lrs.push_back(range_test_lr(i, 1e-7, 10.0, 100));
    losses.push_back(loss(lrs.back()));
  }
}

// Factor between two positive numbers, >= 1.
double factor(double a, double b) { return std::max(a / b, b / a); }

}  // namespace

TEST_CASE("smith lands on the known turn of clean curves, and the other rules where they are defined", "[unit]") {
  std::vector<double> lrs, losses;
  sweep(turning_loss, lrs, losses);
  LrSuggestions s = suggest_lr(lrs, losses);
  const double turn = std::pow(10.0, kXTurn);
  INFO("smith " << s.smith << ", turn " << turn);
  CHECK(s.smith_note.empty());
  CHECK(factor(s.smith, turn) < 2.0);
  CHECK(s.smith <= turn * 1.2);  // it stops at or just before the turn: never on the rise
  // minimum: the grid point nearest the turn (half a step, 0.04 decades, at most), then / 10.
  CHECK_THAT(std::log10(s.minimum * 10.0), WithinAbs(kXTurn, 0.04 + 1e-9));
  // steep: the middle of the cosine descent; valley: within the descending stretch.
  CHECK_THAT(std::log10(s.steep), WithinAbs((kXa + kXTurn) / 2.0, 0.08));
  CHECK(std::log10(s.valley) >= kXa - 0.08);
  CHECK(std::log10(s.valley) <= kXTurn);

  // The symmetric bowl: its minimum is its turn.
  sweep(bowl, lrs, losses);
  LrSuggestions b = suggest_lr(lrs, losses);
  INFO("bowl smith " << b.smith);
  CHECK(factor(b.smith, std::pow(10.0, kXMin)) < 2.0);
}

TEST_CASE("smith stays within a factor of 2 of the turn under seeded noise; the other rules stay in place", "[unit]") {
  const double turn = std::pow(10.0, kXTurn);
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 random(seed);
    std::normal_distribution<double> noise(0.0, 0.02);  // 2.5% of the descent, on every point
    std::vector<double> lrs, losses;
    sweep([&](double lr) { return turning_loss(lr) + noise(random); }, lrs, losses);
    LrSuggestions s = suggest_lr(lrs, losses);
    INFO("seed " << seed << ": smith " << s.smith << ", minimum " << s.minimum << ", steep " << s.steep << ", valley "
                 << s.valley);
    CHECK(factor(s.smith, turn) < 2.0);
    CHECK(factor(s.minimum * 10.0, turn) < 2.0);
    CHECK(std::log10(s.steep) >= kXa - 0.3);
    CHECK(std::log10(s.steep) <= kXTurn);
    CHECK(std::log10(s.valley) >= kXa - 0.3);
    CHECK(std::log10(s.valley) <= kXTurn);
  }
}

TEST_CASE("smith on batch losses smoothed as the sweep smooths them finds the smoothed curve's turn", "[unit]") {
  // Noise on each batch loss, then the debiased EMA (beta 0.98): noise and lag as in a real sweep.
  // The turn of reference is that of the clean losses smoothed alike, found by a plain scan.
  std::vector<double> lrs, clean;
  sweep(turning_loss, lrs, clean);
  SmoothedLoss clean_ema;
  std::vector<double> clean_smoothed;
  for (double loss : clean) clean_smoothed.push_back(clean_ema.add(loss));
  std::size_t lowest = 10;
  for (std::size_t k = 10; k + 5 < clean_smoothed.size(); ++k) {
    if (clean_smoothed[k] < clean_smoothed[lowest]) lowest = k;
  }
  const double turn = lrs[lowest];
  REQUIRE(lowest > 10);
  REQUIRE(lowest + 6 < clean_smoothed.size());
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 random(seed);
    std::normal_distribution<double> noise(0.0, 0.3);
    SmoothedLoss ema;
    std::vector<double> smoothed;
    for (double loss : clean) smoothed.push_back(ema.add(loss + noise(random)));
    LrSuggestions s = suggest_lr(lrs, smoothed);
    INFO("seed " << seed << ": smith " << s.smith << ", turn of the smoothed clean curve " << turn);
    CHECK(factor(s.smith, turn) < 2.0);
  }
}

TEST_CASE("smith_turn enters the band of the best moving average where the definition says", "[unit]") {
  // Second differences are 0 except at the two corners: sigma = 0. Fewer than 20 points: moving
  // averages over 3, a[5] = 14/3, a[6] = a[7] = 5, a[8] = 14/3: the first maximum is 6, entered at 6.
  std::vector<double> score = {0, 1, 2, 3, 4, 5, 5, 5, 5, 4, 3, 2, 1, 0};
  Turn turn = smith_turn(score, score.size());
  CHECK(turn.improved);
  CHECK(turn.turned);
  CHECK(turn.index == 6);
  // Only the first 8 are candidates: a[6] = a[7] = 5 still, and the tail (4, 3, ...) shows the turn.
  Turn early = smith_turn(score, 8);
  CHECK(early.improved);
  CHECK(early.turned);
  CHECK(early.index == 6);
  // Without the tail the same 8 never turn: index 6 is then a lower bound.
  std::vector<double> head(score.begin(), score.begin() + 8);
  Turn unturned = smith_turn(head, 8);
  CHECK(unturned.improved);
  CHECK_FALSE(unturned.turned);
  CHECK(unturned.index == 6);
  // 20 points and more: averages over 5. A ramp 0..9, then 10 x 10, then 9, 8: a[9] = 8.8,
  // a[10] = 9.4, a[11] = 9.8, a[12..17] = 10, a[18] = 9.8: the band (sigma = 0: all but two
  // second differences vanish) is entered at 12, and the 9 at index 20 is the turn.
  std::vector<double> ramp;
  for (int k = 0; k < 10; ++k) ramp.push_back(k);
  for (int k = 0; k < 10; ++k) ramp.push_back(10);
  ramp.push_back(9);
  ramp.push_back(8);
  Turn wide = smith_turn(ramp, ramp.size());
  CHECK(wide.improved);
  CHECK(wide.turned);
  CHECK(wide.index == 12);
  CHECK_THROWS_AS(smith_turn(score, 2), std::invalid_argument);
  CHECK_THROWS_AS(smith_turn(score, score.size() + 1), std::invalid_argument);
  std::vector<double> hole = {0, 1, std::numeric_limits<double>::quiet_NaN(), 3};
  CHECK_THROWS_AS(smith_turn(hole, 4), std::invalid_argument);
}

TEST_CASE("smith on a monotone curve: a lower bound when it never turns, nothing when it never falls", "[unit]") {
  std::vector<double> lrs, losses;
  sweep([](double lr) { return 3.0 - 0.1 * std::log10(lr); }, lrs, losses);  // falls all the way
  LrSuggestions falling = suggest_lr(lrs, losses);
  // A straight line: sigma = 0 and the moving average peaks at the last candidate (n - 6).
  CHECK(falling.smith == lrs[lrs.size() - 6]);
  CHECK_THAT(falling.smith_note, Catch::Matchers::Contains("never turned up: a lower bound"));
  CHECK(std::isfinite(falling.valley));  // the other rules still answer

  sweep([](double lr) { return 3.0 + 0.1 * std::log10(lr); }, lrs, losses);  // rises all the way
  LrSuggestions rising = suggest_lr(lrs, losses);
  CHECK(std::isnan(rising.smith));
  CHECK(std::isnan(suggestion_by_rule(rising, "smith")));
  CHECK_THAT(rising.smith_note, Catch::Matchers::Contains("never fell"));

  // The sweep ends on a non-finite loss (the divergence stop): the last 5 are not candidates,
  // and the NaN shows the turn of a curve that was still falling before it.
  sweep([](double lr) { return 3.0 - 0.1 * std::log10(lr); }, lrs, losses);
  losses.back() = std::numeric_limits<double>::quiet_NaN();
  LrSuggestions diverged = suggest_lr(lrs, losses);
  CHECK(diverged.smith == lrs[lrs.size() - 6]);  // the last candidate: still improving, then the blow-up
  CHECK(diverged.smith_note.empty());            // a turn, not a lower bound
  // A NaN among the candidates is refused.
  losses[50] = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(suggest_lr(lrs, losses), std::invalid_argument);
}

TEST_CASE("every rule is selectable by name; an unknown name is refused naming it", "[unit]") {
  LrSuggestions s;
  s.smith = 1, s.minimum = 2, s.steep = 3, s.valley = 4;
  CHECK(lr_rule_names() == std::vector<std::string>{"smith", "minimum", "steep", "valley"});
  CHECK(suggestion_by_rule(s, "smith") == 1);
  CHECK(suggestion_by_rule(s, "minimum") == 2);
  CHECK(suggestion_by_rule(s, "steep") == 3);
  CHECK(suggestion_by_rule(s, "valley") == 4);
  CHECK_THROWS_WITH(suggestion_by_rule(s, "median"), Catch::Matchers::Contains("'median'") &&
                                                         Catch::Matchers::Contains("smith, minimum, steep, valley"));
}

namespace {

// Validation accuracy of a linear range test against lr (0.001 .. 2): fast rise as training
// progresses, a slowly improving stretch, then a drop once lr passes kLrTurn.
constexpr double kLrTurn = 0.8;
double turning_accuracy(double lr) {
  double rising = 0.1 + 0.75 * (1.0 - std::exp(-lr / 0.08)) + 0.04 * std::min(lr, kLrTurn);
  return lr <= kLrTurn ? rising : rising - 0.5 * (lr - kLrTurn) * (lr - kLrTurn) - 0.05 * (lr - kLrTurn);
}

void linear_accuracies(int count, double noise_sd, std::uint64_t seed, std::vector<double>& lrs,
                       std::vector<double>& accuracies) {
  std::mt19937_64 random(seed);
  std::normal_distribution<double> noise(0.0, noise_sd);
  lrs.clear();
  accuracies.clear();
  for (int k = 0; k < count; ++k) {
    lrs.push_back(0.001 + (2.0 - 0.001) * (k + 1) / count);
    accuracies.push_back(turning_accuracy(lrs.back()) + (noise_sd > 0 ? noise(random) : 0.0));
  }
}

}  // namespace

TEST_CASE("smith on validation accuracy lands within a factor of 2 of the known turn, clean and noisy", "[unit]") {
  std::vector<double> lrs, accuracies;
  linear_accuracies(60, 0.0, 0, lrs, accuracies);
  LrChoice clean = smith_accuracy_lr(lrs, accuracies);
  INFO("clean: " << clean.lr);
  CHECK(factor(clean.lr, kLrTurn) < 2.0);
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    // 0.5 points of accuracy: the binomial noise of 5,000 validation images at 85%.
    linear_accuracies(60, 0.005, seed, lrs, accuracies);
    LrChoice noisy = smith_accuracy_lr(lrs, accuracies);
    INFO("seed " << seed << ": " << noisy.lr << " " << noisy.note);
    CHECK(factor(noisy.lr, kLrTurn) < 2.0);
  }
}

TEST_CASE("smith on validation accuracy says why there is no turn, and refuses malformed curves", "[unit]") {
  std::vector<double> lrs = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
  LrChoice rising = smith_accuracy_lr(lrs, {0.1, 0.3, 0.5, 0.6, 0.7, 0.8});
  CHECK(rising.lr == 0.6);  // moving averages rise to the end, the last is the best: a lower bound
  CHECK_THAT(rising.note, Catch::Matchers::Contains("never turned: a lower bound"));
  LrChoice falling = smith_accuracy_lr(lrs, {0.8, 0.7, 0.6, 0.5, 0.3, 0.1});
  CHECK(std::isnan(falling.lr));
  CHECK_THAT(falling.note, Catch::Matchers::Contains("never rose"));
  CHECK_THROWS_AS(smith_accuracy_lr(lrs, {0.1, 0.2}), std::invalid_argument);
  CHECK_THROWS_AS(smith_accuracy_lr({0.1, 0.1, 0.2}, {0.1, 0.2, 0.3}), std::invalid_argument);
  CHECK_THROWS_AS(smith_accuracy_lr({0.1, 0.2}, {0.1, 0.2}), std::invalid_argument);
}
