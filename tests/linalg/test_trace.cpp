#include "test_prelude.hpp"

#include <random>

#include "curvtrack/linalg/dense_operator.hpp"
#include "curvtrack/linalg/trace.hpp"
#include "test_matrices.hpp"

using namespace curvtrack::linalg;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// Ten eigenvalues of 100 over 490 small ones in [0, 0.01]: the trace is dominated by a low-rank part.
VectorXd low_rank_plus_noise(Eigen::Index n) {
  VectorXd lambda = VectorXd::LinSpaced(n, 0.0, 0.01);
  lambda.head(10).setConstant(100.0);
  return lambda;
}

}  // namespace

TEST_CASE("Hutchinson is within 3 standard errors of the exact trace", "[unit]") {
  const VectorXd lambda = VectorXd::LinSpaced(300, -2.0, 10.0);
  DenseOperator op(testing::with_spectrum(lambda, 41));
  const TraceEstimate est = hutchinson(op, 100, 7);
  INFO("estimate " << est.value << " +- " << est.standard_error << ", exact " << lambda.sum());
  CHECK(est.method == "hutchinson");
  CHECK(est.samples == 100);
  CHECK(est.products == 100);
  CHECK(est.standard_error > 0);
  CHECK(std::abs(est.value - lambda.sum()) < 3 * est.standard_error);
}

TEST_CASE("Hutch++ is within 3 standard errors of the exact trace and spends exactly its budget", "[unit]") {
  const VectorXd lambda = VectorXd::LinSpaced(300, -2.0, 10.0);
  DenseOperator op(testing::with_spectrum(lambda, 42));
  const TraceEstimate est = hutchpp(op, 99, 8);
  INFO("estimate " << est.value << " +- " << est.standard_error << ", exact " << lambda.sum());
  CHECK(est.method == "hutch++");
  CHECK(est.products == 99);
  CHECK(op.products() == 99);
  CHECK(est.samples == 33);
  CHECK(std::abs(est.value - lambda.sum()) < 3 * est.standard_error);
}

TEST_CASE("Hutch++ has a much smaller standard error than Hutchinson on low-rank-plus-noise", "[unit]") {
  const VectorXd lambda = low_rank_plus_noise(500);
  DenseOperator op(testing::with_spectrum(lambda, 43));
  const int budget = 90;
  const TraceEstimate plain = hutchinson(op, budget, 9);
  const TraceEstimate plus = hutchpp(op, budget, 9);
  INFO("exact " << lambda.sum() << "; hutchinson " << plain.value << " +- " << plain.standard_error
                << "; hutch++ " << plus.value << " +- " << plus.standard_error);
  CHECK(plus.standard_error < 0.01 * plain.standard_error);
  CHECK(std::abs(plus.value - lambda.sum()) < 3 * plus.standard_error);
  CHECK(std::abs(plain.value - lambda.sum()) < 3 * plain.standard_error);
}

TEST_CASE("Hutch++ on a rank-3 operator: the sketch spans its range, the trace is exact, dropped columns cost nothing",
          "[unit]") {
  VectorXd lambda = VectorXd::Zero(60);
  lambda.tail(3) << 2.0, 5.0, 7.5;
  DenseOperator op(testing::with_spectrum(lambda, 44));
  const TraceEstimate est = hutchpp(op, 30, 10);  // a sketch of 10 columns, of rank 3
  INFO("estimate " << est.value << " +- " << est.standard_error << ", " << est.products << " products");
  CHECK_THAT(est.value, Catch::Matchers::WithinRel(14.5, 1e-12));
  CHECK(est.standard_error < 1e-12);  // the probes see (I - QQ^T) A (I - QQ^T) = 0
  CHECK(est.products == 10 + 3 + 10);  // the 7 columns inside the span of the others spend no product
  CHECK(op.products() == est.products);
}

TEST_CASE("trace estimators reject budgets they cannot use", "[unit]") {
  DenseOperator op(MatrixXd::Identity(5, 5));
  CHECK_THROWS_AS(hutchinson(op, 0, 1), std::invalid_argument);
  CHECK_THROWS_AS(hutchpp(op, 2, 1), std::invalid_argument);
}

namespace {

// Coordinates in three interleaved blocks (i mod 3), every seventh coordinate in none.
CoordinateBlocks interleaved_blocks(Eigen::Index n) {
  CoordinateBlocks blocks;
  blocks.count = 3;
  for (Eigen::Index i = 0; i < n; ++i) blocks.block.push_back(i % 7 == 6 ? -1 : static_cast<int>(i % 3));
  return blocks;
}

VectorXd exact_block_traces(const MatrixXd& a, const CoordinateBlocks& blocks) {
  VectorXd out = VectorXd::Zero(blocks.count);
  for (Eigen::Index i = 0; i < a.rows(); ++i) {
    if (blocks.block[i] >= 0) out[blocks.block[i]] += a(i, i);
  }
  return out;
}

}  // namespace

TEST_CASE("block traces from the whole estimate's products are calibrated against the exact diagonal sums",
          "[unit]") {
  const MatrixXd a = testing::with_spectrum(low_rank_plus_noise(200), 44);
  const CoordinateBlocks blocks = interleaved_blocks(a.rows());
  const VectorXd exact = exact_block_traces(a, blocks);
  for (TraceMethod method : {TraceMethod::kHutchinson, TraceMethod::kHutchpp}) {
    int within_two = 0, total = 0;
    double worst_relative = 0;
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
      DenseOperator op(a);
      const BlockTraceEstimates est = estimate_block_traces(op, method, 60, seed, blocks);
      REQUIRE(est.blocks.size() == 3);
      CHECK(op.products() == 60);
      for (int b = 0; b < 3; ++b) {
        const double z = (est.blocks[b].value - exact[b]) / est.blocks[b].standard_error;
        within_two += std::abs(z) < 2 ? 1 : 0;
        ++total;
        worst_relative = std::max(worst_relative, std::abs(est.blocks[b].value - exact[b]) / exact[b]);
        CHECK(est.blocks[b].products == 0);
      }
    }
    INFO("method " << static_cast<int>(method) << ": " << within_two << " of " << total
                   << " block estimates within 2 SE; worst relative error " << worst_relative);
    // A calibrated SE puts about 95% of the errors within 2 SE.
    CHECK(within_two >= 0.88 * total);
    CHECK(within_two <= 0.995 * total);
    // Hutch++ takes the low-rank part of every block exactly; Hutchinson cannot.
    if (method == TraceMethod::kHutchpp) CHECK(worst_relative < 1e-3);
    if (method == TraceMethod::kHutchinson) CHECK(worst_relative > 1e-2);
  }
}

TEST_CASE("block traces sum to the whole estimate, which blocks leave unchanged", "[unit]") {
  const MatrixXd a = testing::with_spectrum(VectorXd::LinSpaced(120, -1.0, 5.0), 45);
  CoordinateBlocks blocks;
  blocks.count = 4;
  for (Eigen::Index i = 0; i < a.rows(); ++i) blocks.block.push_back(static_cast<int>(i / 30));
  for (TraceMethod method : {TraceMethod::kHutchinson, TraceMethod::kHutchpp}) {
    DenseOperator with_blocks(a), without(a);
    const BlockTraceEstimates est = estimate_block_traces(with_blocks, method, 45, 3, blocks);
    const TraceEstimate whole = estimate_trace(without, method, 45, 3);
    CHECK(est.whole.value == whole.value);
    CHECK(est.whole.standard_error == whole.standard_error);
    double sum = 0;
    for (const TraceEstimate& block : est.blocks) sum += block.value;
    CHECK(std::abs(sum - whole.value) < 1e-10 * a.diagonal().cwiseAbs().sum());
  }
}

TEST_CASE("block traces reject labels that do not fit the operator", "[unit]") {
  DenseOperator op(MatrixXd::Identity(6, 6));
  CoordinateBlocks short_labels{{0, 1, 0}, 2};
  CHECK_THROWS_AS(estimate_block_traces(op, TraceMethod::kHutchpp, 6, 1, short_labels), std::invalid_argument);
  CoordinateBlocks out_of_range{{0, 1, 2, 0, 1, 0}, 2};
  CHECK_THROWS_AS(estimate_block_traces(op, TraceMethod::kHutchinson, 6, 1, out_of_range), std::invalid_argument);
}
