#include "curvtrack/linalg/certified_ritz.hpp"

#include <Eigen/Eigenvalues>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace curvtrack::linalg {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

VectorXd power_refined(const CertifiedRitz& ritz) {
  const double norm = ritz.image.norm();
  if (!(ritz.value > 0) || !(norm > 0) || !std::isfinite(norm) || ritz.image.size() != ritz.vector.size()) {
    return ritz.vector;
  }
  return ritz.image / norm;
}

namespace detail {

CertifiedRitz certified_top_eigenpair(OperatorRef& op, const VectorXd& start, const CertifiedRitzOptions& options) {
  const Index n = op.rows();
  if (start.size() != n) {
    throw std::invalid_argument("certified Ritz: start vector has length " + std::to_string(start.size()) +
                                ", expected n = " + std::to_string(n));
  }
  if (!start.allFinite() || !(start.norm() > 0)) throw std::invalid_argument("certified Ritz: start vector is zero or not finite");
  if (options.max_steps < 1) throw std::invalid_argument("certified Ritz: max_steps must be >= 1");
  if (!(options.tol > 0)) throw std::invalid_argument("certified Ritz: tol must be positive");
  const int cap = static_cast<int>(std::min<Index>(options.max_steps, n));
  MatrixXd basis(n, cap);     // Q
  MatrixXd products(n, cap);  // A Q
  basis.col(0) = start / start.norm();
  CertifiedRitz out;
  out.second = std::numeric_limits<double>::quiet_NaN();
  for (int m = 1; m <= cap; ++m) {
    op.perform_op(basis.col(m - 1).data(), products.col(m - 1).data());
    out.steps = m;
    // Rayleigh-Ritz on span(Q): T = Q^T A Q, symmetrised (the products are rounded).
    const MatrixXd t = basis.leftCols(m).transpose() * products.leftCols(m);
    Eigen::SelfAdjointEigenSolver<MatrixXd> eig(0.5 * (t + t.transpose()));
    const VectorXd s = eig.eigenvectors().col(m - 1);
    out.value = eig.eigenvalues()[m - 1];
    out.second = m >= 2 ? eig.eigenvalues()[m - 2] : std::numeric_limits<double>::quiet_NaN();
    out.vector = basis.leftCols(m) * s;
    out.image = products.leftCols(m) * s;
    const VectorXd residual = out.image - out.value * out.vector;
    out.residual = residual.norm();
    out.bound = out.residual;
    out.passed = out.residual <= options.tol * std::abs(out.value);
    if (out.passed || m == cap) break;
    // Next Lanczos vector: A q_m orthogonalised against the basis twice (full re-orthogonalisation).
    VectorXd next = products.col(m - 1);
    for (int pass = 0; pass < 2; ++pass) next -= basis.leftCols(m) * (basis.leftCols(m).transpose() * next);
    const double norm = next.norm();
    if (!(norm > 1e-14 * std::max(1.0, std::abs(out.value)))) break;  // invariant subspace: the residual is final
    basis.col(m) = next / norm;
  }
  const double norm = out.vector.norm();
  if (norm > 0) {
    out.vector /= norm;
    out.image /= norm;
  }
  return out;
}

}  // namespace detail
}  // namespace curvtrack::linalg
