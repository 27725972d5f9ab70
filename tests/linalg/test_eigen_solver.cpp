#include "test_prelude.hpp"

#include <Eigen/Eigenvalues>

#include <stdexcept>

#include "curvtrack/linalg/dense_operator.hpp"
#include "curvtrack/linalg/eigen_solver.hpp"
#include "test_matrices.hpp"

using namespace curvtrack::linalg;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// Spread eigenvalues over [-50, 100], negative ones included.
VectorXd spread_spectrum(Eigen::Index n) { return VectorXd::LinSpaced(n, -50.0, 100.0); }

// Tight clusters at both ends (gaps of 1e-3 relative to a spread of 20) over a bulk in [-1, 1].
VectorXd clustered_spectrum(Eigen::Index n) {
  VectorXd lambda = VectorXd::LinSpaced(n, -1.0, 1.0);
  lambda.head(4) << -10.0, -10.001, -10.002, -9.0;
  lambda.tail(4) << 9.0, 10.0, 10.001, 10.002;
  return lambda;
}

// Checks values against the dense oracle, unit vectors, and that reported residuals are true ones.
void check_against_dense(const MatrixXd& a, Spectrum which, int k, EigenMethod method) {
  DenseOperator op(a);
  EigenOptions options;
  options.k = k;
  options.method = method;
  const EigenResult result = extreme_eigenpairs(op, which, options);
  Eigen::SelfAdjointEigenSolver<MatrixXd> oracle(a, Eigen::EigenvaluesOnly);
  const VectorXd& all = oracle.eigenvalues();  // ascending
  INFO(method_name(method) << ": status " << result.status << ", products " << result.products << ", restarts "
                            << result.restarts);
  REQUIRE(result.converged);
  REQUIRE(result.status == "converged");
  REQUIRE(result.outcome == EigenOutcome::kConverged);
  REQUIRE(result.values.size() == k);
  REQUIRE(result.vectors.cols() == k);
  REQUIRE(result.products == op.products());
  for (int i = 0; i < k; ++i) {
    const double expected = which == Spectrum::kLargest ? all[all.size() - 1 - i] : all[i];
    const VectorXd v = result.vectors.col(i);
    const double true_residual = (a * v - result.values[i] * v).norm();
    INFO("pair " << i << ": value " << result.values[i] << ", oracle " << expected << ", residual "
                 << result.residuals[i] << ", recomputed " << true_residual);
    CHECK_THAT(result.values[i], WithinRel(expected, 1e-8));
    CHECK_THAT(v.norm(), WithinAbs(1.0, 1e-12));
    CHECK_THAT(result.residuals[i], WithinAbs(true_residual, 1e-12 * a.norm()));
    CHECK(result.residuals[i] <= 1e-8 * std::abs(expected));
  }
}

}  // namespace

TEST_CASE("top-k and bottom-k eigenvalues match the dense solver on a spread spectrum", "[unit]") {
  const MatrixXd a = testing::with_spectrum(spread_spectrum(300), 11);
  for (EigenMethod method : {EigenMethod::kLanczos, EigenMethod::kRestarted}) {
    check_against_dense(a, Spectrum::kLargest, 5, method);
    check_against_dense(a, Spectrum::kSmallest, 5, method);
    check_against_dense(a, Spectrum::kLargest, 1, method);
  }
}

TEST_CASE("top-k and bottom-k eigenvalues match the dense solver on clustered spectra", "[unit]") {
  const MatrixXd a = testing::with_spectrum(clustered_spectrum(600), 12);
  for (EigenMethod method : {EigenMethod::kLanczos, EigenMethod::kRestarted}) {
    check_against_dense(a, Spectrum::kLargest, 3, method);
    check_against_dense(a, Spectrum::kSmallest, 4, method);
  }
}

TEST_CASE("values are sorted descending for largest and ascending for smallest", "[unit]") {
  DenseOperator op(testing::with_spectrum(spread_spectrum(200), 13));
  EigenOptions options;
  options.k = 4;
  const EigenResult top = extreme_eigenpairs(op, Spectrum::kLargest, options);
  const EigenResult bottom = extreme_eigenpairs(op, Spectrum::kSmallest, options);
  for (int i = 0; i + 1 < options.k; ++i) {
    CHECK(top.values[i] > top.values[i + 1]);
    CHECK(bottom.values[i] < bottom.values[i + 1]);
  }
  CHECK(bottom.values[0] < 0);
}

TEST_CASE("top-5 of an NN-like spectrum to 1e-8 costs at most 35 products", "[unit]") {
  const VectorXd lambda = testing::nn_like_spectrum(2000, 3);
  DenseOperator op(testing::with_spectrum_fast(lambda, 4));
  for (EigenMethod method : {EigenMethod::kLanczos, EigenMethod::kRestarted}) {
    for (int k : {1, 5}) {
      EigenOptions options;
      options.k = k;
      options.tol = 1e-8;
      options.method = method;
      const EigenResult result = extreme_eigenpairs(op, Spectrum::kLargest, options);
      WARN("NN-like n = 2000, top-" << k << " to tol 1e-8, " << method_name(method) << ": " << result.products
                                    << " products (residual check included), " << result.lanczos_steps
                                    << " Lanczos steps, " << result.restarts << " restarts");
      REQUIRE(result.converged);
      for (int i = 0; i < k; ++i) {
        INFO("pair " << i << " residual " << result.residuals[i]);
        CHECK_THAT(result.values[i], WithinRel(lambda[i], 1e-8));
      }
      // The solve itself; for k >= 2 the completeness check (its own test file) comes on top.
      CHECK(result.products - result.completeness_products <= (k == 1 ? 15 : 35));
    }
  }
}

TEST_CASE("unrestarted Lanczos needs fewer products than the restarted solver on a hard spectrum", "[unit]") {
  // Close top eigenvalues (gaps of 2-5% relative) over a wide bulk: restarts discard what the
  // basis learnt, so the unrestarted basis should win clearly.
  const Eigen::Index n = 1500;
  VectorXd lambda = VectorXd::LinSpaced(n, -0.5, 3.0);
  lambda.tail(5) << 4.0, 4.1, 4.25, 4.4, 4.5;
  DenseOperator op(testing::with_spectrum_fast(lambda, 21));
  EigenOptions options;
  options.k = 5;
  options.tol = 1e-8;
  const EigenResult lanczos = extreme_eigenpairs(op, Spectrum::kLargest, options);
  options.method = EigenMethod::kRestarted;
  const EigenResult restarted = extreme_eigenpairs(op, Spectrum::kLargest, options);
  WARN("top-5 to 1e-8 on close outliers: Lanczos " << lanczos.products << " products, restarted "
                                                   << restarted.products);
  REQUIRE(lanczos.converged);
  REQUIRE(restarted.converged);
  for (int i = 0; i < 5; ++i) CHECK_THAT(lanczos.values[i], WithinRel(lambda[n - 1 - i], 1e-8));
  CHECK(lanczos.products < restarted.products);
}

TEST_CASE("a full Lanczos basis hands over to the restarted solver, which converges", "[unit]") {
  const MatrixXd a = testing::with_spectrum(clustered_spectrum(400), 16);
  DenseOperator op(a);
  EigenOptions options;
  options.k = 3;
  options.max_basis = 12;  // far too small for the 1e-3 gaps of the cluster
  const EigenResult result = extreme_eigenpairs(op, Spectrum::kLargest, options);
  INFO("status " << result.status << ", products " << result.products);
  REQUIRE(result.converged);
  CHECK(result.lanczos_steps == 12);
  CHECK(result.restarts > 0);
  CHECK(result.products == op.products());
  Eigen::SelfAdjointEigenSolver<MatrixXd> oracle(a, Eigen::EigenvaluesOnly);
  for (int i = 0; i < 3; ++i) {
    CHECK_THAT(result.values[i], WithinRel(oracle.eigenvalues()[399 - i], 1e-8));
    const VectorXd v = result.vectors.col(i);
    CHECK_THAT(result.residuals[i], WithinAbs((a * v - result.values[i] * v).norm(), 1e-12 * a.norm()));
  }
}

TEST_CASE("a low-rank operator: the invariant subspace found early gives exact pairs", "[unit]") {
  // Rank 3 in n = 100: Krylov from a random start spans an invariant subspace after 4 products.
  VectorXd lambda = VectorXd::Zero(100);
  lambda.tail(3) << 1.0, 2.0, 5.0;
  const MatrixXd a = testing::with_spectrum(lambda, 17);
  DenseOperator op(a);
  EigenOptions options;
  options.k = 4;
  options.spectral_scale = 5.0;  // so that the fourth pair, at 0, can meet the tolerance
  const EigenResult result = extreme_eigenpairs(op, Spectrum::kLargest, options);
  INFO("status " << result.status << ", products " << result.products);
  REQUIRE(result.converged);
  CHECK(result.products <= 6);
  CHECK_THAT(result.values[0], WithinRel(5.0, 1e-12));
  CHECK_THAT(result.values[1], WithinRel(2.0, 1e-12));
  CHECK_THAT(result.values[2], WithinRel(1.0, 1e-12));
  CHECK_THAT(result.values[3], WithinAbs(0.0, 1e-12));
  for (int i = 0; i < 4; ++i) {
    const VectorXd v = result.vectors.col(i);
    CHECK((a * v - result.values[i] * v).norm() < 1e-12);
  }
}

TEST_CASE("a warm start from the previous eigenvectors needs fewer products than a cold start", "[unit]") {
  const VectorXd lambda = testing::nn_like_spectrum(2000, 5);
  DenseOperator op(testing::with_spectrum_fast(lambda, 6));
  EigenOptions options;
  options.k = 5;
  options.tol = 1e-8;
  const EigenResult cold = extreme_eigenpairs(op, Spectrum::kLargest, options);
  REQUIRE(cold.converged);
  for (int i = 0; i < options.k; ++i) options.warm_start.push_back(cold.vectors.col(i));
  options.seed = 1;
  const EigenResult warm = extreme_eigenpairs(op, Spectrum::kLargest, options);
  WARN("NN-like top-5 to 1e-8: cold " << cold.products << " products, warm " << warm.products);
  REQUIRE(warm.converged);
  CHECK(warm.products < cold.products);
  for (int i = 0; i < options.k; ++i) CHECK_THAT(warm.values[i], WithinRel(lambda[i], 1e-8));
}

TEST_CASE("k not smaller than n is rejected with both numbers named", "[unit]") {
  DenseOperator op(MatrixXd::Identity(4, 4));
  EigenOptions options;
  options.k = 5;
  REQUIRE_THROWS_AS(extreme_eigenpairs(op, Spectrum::kLargest, options), std::invalid_argument);
  REQUIRE_THROWS_WITH(extreme_eigenpairs(op, Spectrum::kLargest, options),
                      "k = 5 must be smaller than the number of parameters n = 4");
  options.k = 4;
  REQUIRE_THROWS_AS(extreme_eigenpairs(op, Spectrum::kSmallest, options), std::invalid_argument);
  options.k = 1;
  options.ncv = 5;
  REQUIRE_THROWS_WITH(extreme_eigenpairs(op, Spectrum::kLargest, options), Catch::Matchers::Contains("ncv = 5"));
  options.ncv = 0;
  options.max_basis = 1;
  REQUIRE_THROWS_WITH(extreme_eigenpairs(op, Spectrum::kLargest, options),
                      "max_basis = 1 must satisfy k < max_basis <= n (k = 1, n = 4), or be 0 for automatic");
}

TEST_CASE("an exhausted product budget returns flagged unconverged pairs within the budget", "[unit]") {
  const MatrixXd a = testing::with_spectrum(clustered_spectrum(400), 14);
  for (EigenMethod method : {EigenMethod::kLanczos, EigenMethod::kRestarted}) {
    DenseOperator op(a);
    EigenOptions options;
    options.k = 3;
    options.max_products = 20;
    options.method = method;
    const EigenResult result = extreme_eigenpairs(op, Spectrum::kLargest, options);
    INFO(method_name(method) << ": status " << result.status << ", products " << result.products);
    CHECK_FALSE(result.converged);
    CHECK_THAT(result.status, Catch::Matchers::StartsWith("not converged: product budget"));
    CHECK(result.outcome == EigenOutcome::kBudgetSpent);
    CHECK(result.products <= 20);
    CHECK(result.values.size() == 3);
    CHECK(result.residuals.size() == 3);
    CHECK(result.residuals.maxCoeff() > 0);
    for (int i = 0; i < 3; ++i) {
      const VectorXd v = result.vectors.col(i);
      CHECK_THAT(result.residuals[i], WithinAbs((a * v - result.values[i] * v).norm(), 1e-12 * a.norm()));
    }
  }
}

TEST_CASE("tiny operators: the restarted solver decomposes densely, Lanczos spans the space", "[unit]") {
  const MatrixXd a = testing::with_spectrum(VectorXd::LinSpaced(8, -3.0, 4.0), 15);
  for (EigenMethod method : {EigenMethod::kRestarted, EigenMethod::kLanczos}) {
    DenseOperator op(a);
    EigenOptions options;
    options.k = 2;
    options.method = method;
    const EigenResult result = extreme_eigenpairs(op, Spectrum::kSmallest, options);
    INFO(method_name(method) << ": " << result.status << ", products " << result.products);
    CHECK(result.converged);
    // Dense: the n columns and k residual products; Lanczos: at most n, residuals included.
    CHECK(result.products == (method == EigenMethod::kRestarted ? 8 + 2 : 8));
    CHECK_THAT(result.values[0], WithinRel(-3.0, 1e-12));
    CHECK_THAT(result.values[1], WithinRel(-2.0, 1e-12));
    CHECK(result.residuals.maxCoeff() < 1e-12);
  }
}

TEST_CASE("with a spectral scale, the bottom of a Hessian-like spectrum with a null space converges to zero", "[unit]") {
  // 17 exact zeros (a softmax model's class-shift invariance) below eigenvalues 1e-3 .. 1.
  const Eigen::Index n = 170;
  Eigen::VectorXd lambda(n);
  for (Eigen::Index i = 0; i < n; ++i) lambda[i] = i < 17 ? 0.0 : std::pow(10.0, -3.0 + 3.0 * (i - 17) / (n - 18));
  DenseOperator op(testing::with_spectrum(lambda, 3));
  EigenOptions options;
  // k = 1: a single-vector Krylov space holds one direction of a degenerate eigenspace.
  options.k = 1;
  options.tol = 1e-10;
  options.max_products = 2000;
  SECTION("without a scale the relative test cannot be met at zero") {
    EigenResult plain = extreme_eigenpairs(op, Spectrum::kSmallest, options);
    INFO(plain.status);
    REQUIRE_FALSE(plain.converged);
  }
  SECTION("with the scale |lambda_max| = 1 it converges to the null space") {
    options.spectral_scale = 1.0;
    EigenResult scaled = extreme_eigenpairs(op, Spectrum::kSmallest, options);
    INFO(scaled.status << ", products " << scaled.products);
    REQUIRE(scaled.converged);
    REQUIRE(std::abs(scaled.values[0]) < 1e-10);
    REQUIRE(scaled.residuals[0] < 1e-10);
    options.spectral_scale = 1.0;
    EigenResult top = extreme_eigenpairs(op, Spectrum::kLargest, options);
    REQUIRE_THAT(top.values[0], Catch::Matchers::WithinRel(1.0, 1e-10));
  }
}

namespace {

// A dense operator whose products are rounded to float32, like an HVP computed in float32.
struct Float32Products {
  using Scalar = double;
  MatrixXd a;
  Eigen::Index rows() const { return a.rows(); }
  Eigen::Index cols() const { return a.cols(); }
  void perform_op(const double* x, double* y) const {
    const Eigen::VectorXf x32 = Eigen::Map<const VectorXd>(x, a.rows()).cast<float>();
    const Eigen::VectorXf y32 = a.cast<float>() * x32;
    Eigen::Map<VectorXd>(y, a.rows()) = y32.cast<double>();
  }
};

}  // namespace

TEST_CASE("float32 products: a tolerance below their rounding stops early as not converged", "[unit]") {
  const VectorXd lambda = testing::nn_like_spectrum(800, 7);
  Float32Products op{testing::with_spectrum_fast(lambda, 8)};
  for (EigenMethod method : {EigenMethod::kLanczos, EigenMethod::kRestarted}) {
    EigenOptions options;
    options.k = 5;
    options.method = method;
    options.tol = 1e-12;  // far below float32's ~1e-7
    const EigenResult stalled = extreme_eigenpairs(op, Spectrum::kLargest, options);
    INFO(method_name(method) << ": " << stalled.status << ", products " << stalled.products);
    CHECK_FALSE(stalled.converged);
    CHECK_THAT(stalled.status, Catch::Matchers::Contains("rounding of the products"));
    CHECK(stalled.outcome == EigenOutcome::kRoundingFloor);
    CHECK(stalled.products < 100);  // it did not grind on to the basis limit
    for (int i = 0; i < 5; ++i) CHECK_THAT(stalled.values[i], WithinRel(lambda[i], 1e-5));
    options.tol = 1e-5;
    const EigenResult reachable = extreme_eigenpairs(op, Spectrum::kLargest, options);
    INFO("tol 1e-5: " << reachable.status);
    CHECK(reachable.converged);
    CHECK(reachable.residuals.maxCoeff() <= 1e-5 * lambda[0]);
  }
}

TEST_CASE("a full Lanczos basis with the budget nearly spent stops, flagged, within the budget", "[unit]") {
  DenseOperator op(testing::with_spectrum(clustered_spectrum(400), 18));
  EigenOptions options;
  options.k = 3;
  options.max_basis = 12;
  options.max_products = 14;  // 2 left after the basis: too few for a restarted solve
  const EigenResult result = extreme_eigenpairs(op, Spectrum::kLargest, options);
  INFO("status " << result.status);
  CHECK_FALSE(result.converged);
  CHECK_THAT(result.status, Catch::Matchers::StartsWith("not converged: the basis of 12 vectors is full"));
  CHECK(result.products <= 14);
  CHECK(result.lanczos_steps == 12);
}
