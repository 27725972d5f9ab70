#include "test_prelude.hpp"

#include <Eigen/Eigenvalues>

#include <limits>
#include <random>
#include <stdexcept>

#include "curvtrack/linalg/certified_ritz.hpp"
#include "curvtrack/linalg/dense_operator.hpp"
#include "test_matrices.hpp"

using namespace curvtrack::linalg;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// A Hessian-like spectrum: a bulk in [-0.5, 1] under outliers 8, 9.5, 12.
VectorXd outlier_spectrum(Eigen::Index n) {
  VectorXd lambda = VectorXd::LinSpaced(n, -0.5, 1.0);
  lambda.tail(3) << 8.0, 9.5, 12.0;
  return lambda;
}

VectorXd noise(Eigen::Index n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = normal(rng);
  return v.normalized();
}

}  // namespace

TEST_CASE("certified Ritz: accepted values lie within the certificate's bound of the dense lambda_max", "[unit]") {
  const MatrixXd a = testing::with_spectrum(outlier_spectrum(200), 3);
  Eigen::SelfAdjointEigenSolver<MatrixXd> dense(a);
  const double lambda_max = dense.eigenvalues()[199];
  const VectorXd top = dense.eigenvectors().col(199);
  int passed = 0;
  for (double epsilon : {1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0}) {
    for (std::uint64_t seed = 0; seed < 5; ++seed) {
      DenseOperator op(a);
      const VectorXd start = top + epsilon * noise(200, seed);
      CertifiedRitz ritz = certified_top_eigenpair(op, start, {1e-3, 3});
      INFO("epsilon " << epsilon << " seed " << seed << ": theta " << ritz.value << " residual " << ritz.residual);
      // The residual is the true one, recomputed here from the dense matrix.
      CHECK(ritz.residual == Approx((a * ritz.vector - ritz.value * ritz.vector).norm()).margin(1e-10));
      CHECK(ritz.vector.norm() == Approx(1.0));
      CHECK(ritz.value <= lambda_max + 1e-12);  // a Rayleigh quotient
      CHECK(ritz.steps == static_cast<int>(op.products()));
      if (!ritz.passed) continue;
      ++passed;
      CHECK(ritz.residual <= 1e-3 * std::abs(ritz.value));
      // Plus the rounding of the two sides: the dense eigenvalue and the computed theta each carry
      // errors of a few eps ||A|| (here about 3e-15), which a residual at its own rounding floor does
      // not cover; a margin of 64 eps |lambda| is far below every tolerance checked here.
      CHECK(std::abs(lambda_max - ritz.value) <=
            ritz.bound + 64 * std::numeric_limits<double>::epsilon() * std::abs(lambda_max));
    }
  }
  CHECK(passed >= 15);  // good starts pass: the certificate is not a constant "fail"
}

TEST_CASE("certified Ritz: a bad start fails the certificate within its step budget", "[unit]") {
  const MatrixXd a = testing::with_spectrum(outlier_spectrum(200), 4);
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    DenseOperator op(a);
    CertifiedRitz ritz = certified_top_eigenpair(op, noise(200, 100 + seed), {1e-3, 3});
    CHECK_FALSE(ritz.passed);
    CHECK(ritz.steps == 3);
    CHECK(op.products() == 3);
    CHECK(ritz.residual > 1e-3 * std::abs(ritz.value));
  }
}

TEST_CASE("certified Ritz: an exact eigenvector of another eigenvalue passes, the documented limit", "[unit]") {
  // The certificate bounds the distance to some eigenvalue; that it is lambda_max rests on the
  // start being the previous top Ritz vector (docs/methods.md, "Certified tracking").
  const MatrixXd a = testing::with_spectrum(outlier_spectrum(100), 5);
  Eigen::SelfAdjointEigenSolver<MatrixXd> dense(a);
  DenseOperator op(a);
  CertifiedRitz ritz = certified_top_eigenpair(op, dense.eigenvectors().col(98), {1e-3, 3});
  CHECK(ritz.passed);
  CHECK(ritz.value == Approx(9.5));
  CHECK(std::abs(ritz.value - dense.eigenvalues()[98]) <= ritz.bound + 1e-12);
}

TEST_CASE("certified Ritz: enough steps reach lambda_max from a random start", "[unit]") {
  const MatrixXd a = testing::with_spectrum(outlier_spectrum(60), 6);
  Eigen::SelfAdjointEigenSolver<MatrixXd> dense(a, Eigen::EigenvaluesOnly);
  DenseOperator op(a);
  CertifiedRitz ritz = certified_top_eigenpair(op, noise(60, 7), {1e-8, 60});
  REQUIRE(ritz.passed);
  CHECK(std::abs(ritz.value - dense.eigenvalues()[59]) <= ritz.bound);
  CHECK(ritz.second == Approx(9.5).epsilon(1e-6));
}

TEST_CASE("certified Ritz: refuses bad starts and options", "[unit]") {
  DenseOperator op(MatrixXd::Identity(5, 5));
  CHECK_THROWS_AS(certified_top_eigenpair(op, VectorXd::Zero(5), {}), std::invalid_argument);
  CHECK_THROWS_AS(certified_top_eigenpair(op, VectorXd::Ones(4), {}), std::invalid_argument);
  CHECK_THROWS_AS(certified_top_eigenpair(op, VectorXd::Ones(5), {1e-3, 0}), std::invalid_argument);
  CHECK_THROWS_AS(certified_top_eigenpair(op, VectorXd::Ones(5), {0.0, 2}), std::invalid_argument);
}

TEST_CASE("certified Ritz: the free power step predicts the top eigenvector better than the Ritz vector", "[unit]") {
  const MatrixXd a = testing::with_spectrum(outlier_spectrum(200), 3);
  Eigen::SelfAdjointEigenSolver<MatrixXd> dense(a);
  const VectorXd top = dense.eigenvectors().col(199);
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    DenseOperator op(a);
    CertifiedRitz ritz = certified_top_eigenpair(op, top + 0.05 * noise(200, seed), {0.5, 1});
    REQUIRE(ritz.steps == 1);
    // The image is A y from the stored products, checked against the dense matrix.
    CHECK((ritz.image - a * ritz.vector).norm() <= 1e-12 * a.norm());
    const VectorXd refined = power_refined(ritz);
    CHECK((refined - (a * ritz.vector).normalized()).norm() < 1e-14);
    // Components off the top eigenvector shrink by lambda_i / 12 (at most 9.5 / 12).
    const double off_before = std::sqrt(std::max(0.0, 1.0 - std::pow(top.dot(ritz.vector), 2)));
    const double off_after = std::sqrt(std::max(0.0, 1.0 - std::pow(top.dot(refined), 2)));
    INFO("seed " << seed << ": sine to the top eigenvector " << off_before << " -> " << off_after);
    CHECK(off_after < 0.8 * off_before);
  }
  // Without a positive Ritz value the step would not favour lambda_max: y itself is returned.
  CertifiedRitz negative;
  negative.value = -1.0;
  negative.vector = VectorXd::Unit(3, 0);
  negative.image = -VectorXd::Unit(3, 0);
  CHECK(power_refined(negative) == negative.vector);
}
