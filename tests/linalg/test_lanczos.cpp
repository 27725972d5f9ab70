#include "test_prelude.hpp"

#include <Eigen/Eigenvalues>

#include "curvtrack/linalg/dense_operator.hpp"
#include "curvtrack/linalg/lanczos.hpp"
#include "curvtrack/linalg/random_vectors.hpp"
#include "test_matrices.hpp"

using namespace curvtrack::linalg;
using Catch::Matchers::WithinAbs;
using Eigen::MatrixXd;
using Eigen::VectorXd;

TEST_CASE("Lanczos with m = n reproduces every eigenvalue of a dense matrix", "[unit]") {
  const Eigen::Index n = 30;
  // Spread over four decades plus negatives: without full re-orthogonalisation ghost copies
  // of the outliers would appear and the count would not match.
  VectorXd lambda(n);
  for (Eigen::Index i = 0; i < n; ++i) lambda[i] = std::pow(10.0, 4.0 * i / (n - 1)) - 5.0;
  const MatrixXd a = testing::with_spectrum(lambda, 21);
  DenseOperator op(a);
  std::mt19937_64 rng(1);
  const LanczosResult tri = lanczos(op, gaussian(n, rng), static_cast<int>(n));
  REQUIRE(tri.steps == n);
  REQUIRE_FALSE(tri.breakdown);
  REQUIRE(tri.products == n);
  REQUIRE(tri.beta.size() == n - 1);
  Eigen::SelfAdjointEigenSolver<MatrixXd> ritz;
  ritz.computeFromTridiagonal(tri.alpha, tri.beta, Eigen::EigenvaluesOnly);
  Eigen::SelfAdjointEigenSolver<MatrixXd> oracle(a, Eigen::EigenvaluesOnly);
  const double scale = oracle.eigenvalues().cwiseAbs().maxCoeff();
  for (Eigen::Index i = 0; i < n; ++i) {
    INFO("eigenvalue " << i << ": " << oracle.eigenvalues()[i]);
    CHECK_THAT(ritz.eigenvalues()[i], WithinAbs(oracle.eigenvalues()[i], 1e-8 * scale));
  }
}

TEST_CASE("Lanczos stops at an invariant subspace and reports the steps taken", "[unit]") {
  const Eigen::Index n = 40;
  const MatrixXd q = testing::random_orthogonal(n, 22);
  const MatrixXd a = q * VectorXd::LinSpaced(n, 1.0, 40.0).asDiagonal() * q.transpose();
  DenseOperator op(0.5 * (a + a.transpose()));
  const VectorXd start = q.col(3) + q.col(17) + 2 * q.col(30);  // spans a 3-d invariant subspace
  const LanczosResult tri = lanczos(op, start, 10);
  CHECK(tri.breakdown);
  CHECK(tri.steps == 3);
  CHECK(tri.products == 3);
  CHECK(tri.alpha.size() == 3);
  CHECK(tri.beta.size() == 2);
  Eigen::SelfAdjointEigenSolver<MatrixXd> ritz;
  ritz.computeFromTridiagonal(tri.alpha, tri.beta, Eigen::EigenvaluesOnly);
  CHECK_THAT(ritz.eigenvalues()[0], WithinAbs(4.0, 1e-10));
  CHECK_THAT(ritz.eigenvalues()[2], WithinAbs(31.0, 1e-10));
}

TEST_CASE("the Lanczos basis stays orthonormal to rounding and A Q = Q T + beta q e^T holds", "[unit]") {
  // Outliers four decades above a bulk: plain Lanczos loses orthogonality within a few dozen
  // steps here; the re-orthogonalised basis must stay orthonormal to ~n eps. 150 steps also
  // cross three doublings of the storage (it starts at 32 columns), which must keep it intact.
  const Eigen::Index n = 400;
  VectorXd lambda = VectorXd::LinSpaced(n, -0.01, 0.01);
  lambda.tail(4) << 10.0, 30.0, 60.0, 100.0;
  const MatrixXd a = testing::with_spectrum(lambda, 23);
  DenseOperator op(a);
  std::mt19937_64 rng(3);
  detail::OperatorRef ref(op);
  detail::LanczosProcess process(ref, rademacher(n, rng), 150, /*keep_products=*/true);
  while (process.can_step()) process.step();
  REQUIRE(process.steps() == 150);
  const MatrixXd q = process.basis();
  const double loss = (q.transpose() * q - MatrixXd::Identity(150, 150)).cwiseAbs().maxCoeff();
  INFO("max |Q^T Q - I| = " << loss);
  CHECK(loss < 1e-13);
  // The stored products are A Q; and Q^T A Q is the tridiagonal T to rounding.
  CHECK((process.products() - a * q).norm() < 1e-12 * a.norm());
  MatrixXd t = MatrixXd::Zero(150, 150);
  t.diagonal() = process.alpha();
  t.diagonal(1) = process.beta();
  t.diagonal(-1) = process.beta();
  CHECK((q.transpose() * a * q - t).cwiseAbs().maxCoeff() < 1e-12 * 100.0);
}
