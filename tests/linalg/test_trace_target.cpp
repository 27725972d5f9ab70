// The standard-error stopping rule of the trace estimators (TraceTarget), against the exact trace
// of dense float64 matrices with known spectra, over many seeds.

#include "test_prelude.hpp"

#include <cmath>
#include <vector>

#include "curvtrack/linalg/dense_operator.hpp"
#include "curvtrack/linalg/trace.hpp"
#include "test_matrices.hpp"

using namespace curvtrack::linalg;
using Eigen::VectorXd;

namespace {

struct Calibration {
  int runs = 0;
  int reached = 0;
  int within_two_se = 0;      // |estimate - exact| <= 2 SE
  double mean_square_z = 0;   // mean of ((estimate - exact) / SE)^2
  double mean_products = 0;
  double worst_reported = 0;  // largest SE / |estimate|
};

// `method` with at most `cap` products and a relative SE target, over `runs` seeds, on the dense
// matrix with eigenvalues `lambda` (eigenvectors from `matrix_seed`).
Calibration calibrate(const VectorXd& lambda, unsigned matrix_seed, int runs, TraceMethod method, int cap,
                      double relative_se) {
  const DenseOperator op(testing::with_spectrum(lambda, matrix_seed));
  const double exact = lambda.sum();
  TraceTarget target;
  target.relative_se = relative_se;
  Calibration c;
  c.runs = runs;
  for (int seed = 0; seed < runs; ++seed) {
    const TraceEstimate est = estimate_trace(op, method, cap, 1000 + static_cast<std::uint64_t>(seed), target);
    const double z = (est.value - exact) / est.standard_error;
    c.reached += est.target_reached ? 1 : 0;
    c.within_two_se += std::abs(z) <= 2 ? 1 : 0;
    c.mean_square_z += z * z / runs;
    c.mean_products += static_cast<double>(est.products) / runs;
    c.worst_reported = std::max(c.worst_reported, est.standard_error / std::abs(est.value));
  }
  return c;
}

// What a calibrated stopping rule shows over c.runs seeds: every run reached the target, no
// reported SE above it, about 95% of the errors within 2 SE and E z^2 near 1 (stopping on a
// small SE biases both slightly), and the products in a range.
struct Expected {
  double target = 0;
  int within_two_se = 0;
  double z2_low = 0, z2_high = 0;
  double products_low = 0, products_high = 0;
};

void check_calibration(const Calibration& c, const Expected& e) {
  INFO("reached " << c.reached << "/" << c.runs << ", within 2 SE " << c.within_two_se << ", mean z^2 "
                  << c.mean_square_z << ", mean products " << c.mean_products << ", worst SE/|est| "
                  << c.worst_reported);
  CHECK(c.reached == c.runs);
  CHECK(c.worst_reported <= e.target);
  CHECK(c.within_two_se >= e.within_two_se);
  CHECK(c.mean_square_z > e.z2_low);
  CHECK(c.mean_square_z < e.z2_high);
  CHECK(c.mean_products > e.products_low);
  CHECK(c.mean_products < e.products_high);
}

}  // namespace

TEST_CASE("Hutchinson stopped at a 1% standard error: its SE matches the actual error over 400 seeds", "[unit]") {
  // Spectrum in [-2, 10], n = 150: one Rademacher sample has sd ~60 around the trace 600, so a 1%
  // standard error takes ~100 samples; the cap (5000) is never near.
  const VectorXd lambda = VectorXd::LinSpaced(150, -2.0, 10.0);
  check_calibration(calibrate(lambda, 11, 400, TraceMethod::kHutchinson, 5000, 0.01), {0.01, 360, 0.7, 1.4, 30, 300});
}

TEST_CASE("Hutch++ stopped at a standard error: fewer products than the cap, SE matches the actual error", "[unit]") {
  // Ten eigenvalues of 10 over 390 in [0.5, 1.5], trace ~490; budget 300: a sketch of k = 100
  // (200 products), then up to 100 tail samples of sd ~25, of which ~40 reach a 0.8% standard error.
  VectorXd lambda = VectorXd::LinSpaced(400, 0.5, 1.5);
  lambda.head(10).setConstant(10.0);
  check_calibration(calibrate(lambda, 12, 300, TraceMethod::kHutchpp, 300, 0.008), {0.008, 265, 0.6, 1.5, 210, 290});
}

TEST_CASE("an unreachable standard-error target spends the whole cap and says so", "[unit]") {
  // A symmetric spectrum: trace 0, so no relative standard error can be reached.
  const VectorXd lambda = VectorXd::LinSpaced(100, -5.0, 5.0);
  const DenseOperator op(testing::with_spectrum(lambda, 13));
  TraceTarget target;
  target.relative_se = 0.01;
  const TraceEstimate a = hutchinson(op, 60, 3, target);
  CHECK_FALSE(a.target_reached);
  CHECK(a.samples == 60);
  CHECK(a.products == 60);
  CHECK(a.target_relative_se == 0.01);
  const TraceEstimate b = hutchpp(op, 60, 3, target);
  CHECK_FALSE(b.target_reached);
  CHECK(b.products == 60);
}

TEST_CASE("a trace stopped at a standard error is the same for the same seed, and a fixed count ignores targets",
          "[unit]") {
  const VectorXd lambda = VectorXd::LinSpaced(150, -2.0, 10.0);
  const DenseOperator op(testing::with_spectrum(lambda, 14));
  TraceTarget target;
  target.relative_se = 0.02;
  const TraceEstimate a = hutchinson(op, 1000, 5, target);
  const TraceEstimate b = hutchinson(op, 1000, 5, target);
  CHECK(a.value == b.value);
  CHECK(a.samples == b.samples);
  // Stopping early takes a prefix of the same sample sequence as the fixed count.
  const TraceEstimate fixed = hutchinson(op, a.samples, 5);
  CHECK(fixed.value == a.value);
  CHECK_FALSE(fixed.target_reached);
  CHECK(fixed.target_relative_se == 0);
  // At least min_samples before the first check, however loose the target.
  target.relative_se = 0.99;
  CHECK(hutchinson(op, 1000, 5, target).samples == target.min_samples);
}

TEST_CASE("block traces under a standard-error target use the samples the whole trace kept", "[unit]") {
  const VectorXd lambda = VectorXd::LinSpaced(120, -1.0, 5.0);
  const DenseOperator op(testing::with_spectrum(lambda, 15));
  CoordinateBlocks blocks;
  blocks.count = 3;
  for (Eigen::Index i = 0; i < op.rows(); ++i) blocks.block.push_back(static_cast<int>(i % 3));
  const Eigen::MatrixXd a = testing::with_spectrum(lambda, 15);
  TraceTarget target;
  target.relative_se = 0.03;
  for (TraceMethod method : {TraceMethod::kHutchinson, TraceMethod::kHutchpp}) {
    INFO("method " << static_cast<int>(method));
    // Hutch++: a sketch of 60 of the 120 dimensions, so the tail still has variance to stop on.
    const int cap = method == TraceMethod::kHutchpp ? 180 : 600;
    const BlockTraceEstimates stopped = estimate_block_traces(op, method, cap, 7, blocks, target);
    REQUIRE(stopped.whole.target_reached);
    CHECK(stopped.whole.products < cap);
    REQUIRE(stopped.blocks.size() == 3);
    double sum = 0;
    for (int b = 0; b < 3; ++b) {
      // Each block estimate is an average over exactly the whole's kept samples.
      CHECK(stopped.blocks[b].samples == stopped.whole.samples);
      CHECK(stopped.blocks[b].products == 0);
      sum += stopped.blocks[b].value;
      double exact = 0;
      for (Eigen::Index i = b; i < a.rows(); i += 3) exact += a(i, i);
      // Loose: a block's SE is larger than the whole's relative target.
      CHECK(std::abs(stopped.blocks[b].value - exact) <= 5 * stopped.blocks[b].standard_error);
    }
    CHECK(std::abs(sum - stopped.whole.value) < 1e-10 * a.diagonal().cwiseAbs().sum());
    // Blocks leave the whole estimate and its stopping point unchanged.
    const TraceEstimate alone = estimate_trace(op, method, cap, 7, target);
    CHECK(alone.value == stopped.whole.value);
    CHECK(alone.samples == stopped.whole.samples);
  }
  // Hutchinson's stopped blocks equal the fixed count's blocks over the same number of samples.
  const BlockTraceEstimates stopped = estimate_block_traces(op, TraceMethod::kHutchinson, 600, 7, blocks, target);
  const BlockTraceEstimates fixed =
      estimate_block_traces(op, TraceMethod::kHutchinson, stopped.whole.samples, 7, blocks);
  for (int b = 0; b < 3; ++b) CHECK(fixed.blocks[b].value == stopped.blocks[b].value);
}
