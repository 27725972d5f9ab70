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

TEST_CASE("trace estimators reject budgets they cannot use", "[unit]") {
  DenseOperator op(MatrixXd::Identity(5, 5));
  CHECK_THROWS_AS(hutchinson(op, 0, 1), std::invalid_argument);
  CHECK_THROWS_AS(hutchpp(op, 2, 1), std::invalid_argument);
}
