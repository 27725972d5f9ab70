#pragma once
// Symmetric test matrices with a spectrum chosen by the test: the exact eigenvalues are the oracle.

#include <Eigen/Dense>

#include <algorithm>
#include <cstdint>
#include <random>

namespace curvtrack::linalg::testing {

/// Haar-distributed orthogonal n x n matrix (QR of a Gaussian matrix; O(n^3), for n <= ~1000).
inline Eigen::MatrixXd random_orthogonal(Eigen::Index n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd g(n, n);
  for (Eigen::Index i = 0; i < g.size(); ++i) g.data()[i] = normal(rng);
  return Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
}

/// Q diag(lambda) Q^T with a random orthogonal Q.
inline Eigen::MatrixXd with_spectrum(const Eigen::VectorXd& lambda, std::uint64_t seed) {
  const Eigen::MatrixXd q = random_orthogonal(lambda.size(), seed);
  const Eigen::MatrixXd a = q * lambda.asDiagonal() * q.transpose();
  return 0.5 * (a + a.transpose());
}

/// diag(lambda) rotated by four random Householder reflections: dense eigenvectors in O(n^2),
/// for the n = 2000 cases where a full random Q would dominate the test time.
inline Eigen::MatrixXd with_spectrum_fast(const Eigen::VectorXd& lambda, std::uint64_t seed) {
  const Eigen::Index n = lambda.size();
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd a = lambda.asDiagonal();
  for (int r = 0; r < 4; ++r) {
    Eigen::VectorXd u(n);
    for (Eigen::Index i = 0; i < n; ++i) u[i] = normal(rng);
    u.normalize();
    // H A H with H = I - 2 u u^T, expanded to stay O(n^2).
    const Eigen::VectorXd au = a * u;
    const double uau = u.dot(au);
    a += -2 * u * au.transpose() - 2 * au * u.transpose() + 4 * uau * u * u.transpose();
  }
  return 0.5 * (a + a.transpose());
}

/// A spectrum shaped like a trained network's Hessian: ten outliers between 10 and 100 (two close
/// pairs among them) over a bulk in [-0.1, 2] that is dense near 0. Sorted descending.
inline Eigen::VectorXd nn_like_spectrum(Eigen::Index n, std::uint64_t seed) {
  Eigen::VectorXd lambda(n);
  lambda.head(10) << 100, 60, 40, 25, 20, 18, 15, 12, 11, 10;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (Eigen::Index i = 10; i < n; ++i) {
    const double u = uniform(rng);
    lambda[i] = 2 * u * u * u * u - 0.1 * uniform(rng);
  }
  std::sort(lambda.data(), lambda.data() + n, [](double x, double y) { return x > y; });
  return lambda;
}

}  // namespace curvtrack::linalg::testing
