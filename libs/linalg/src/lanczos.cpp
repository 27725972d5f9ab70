#include "curvtrack/linalg/lanczos.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace curvtrack::linalg::detail {

// beta below this fraction of the largest |alpha| or beta seen means an invariant subspace.
constexpr double kBreakdown = 1e-12;

LanczosResult lanczos(const OperatorRef& op, const Eigen::Ref<const Eigen::VectorXd>& start, int m) {
  const Eigen::Index n = op.rows();
  if (start.size() != n) {
    throw std::invalid_argument("lanczos: start vector has length " + std::to_string(start.size()) +
                                ", expected n = " + std::to_string(n));
  }
  if (m < 1 || m > n) {
    throw std::invalid_argument("lanczos: m = " + std::to_string(m) + " must satisfy 1 <= m <= n = " +
                                std::to_string(n));
  }
  const double start_norm = start.norm();
  if (!(start_norm > 0) || !std::isfinite(start_norm)) {
    throw std::invalid_argument("lanczos: start vector must be nonzero and finite");
  }

  Eigen::MatrixXd q(n, m);
  q.col(0) = start / start_norm;
  Eigen::VectorXd alpha(m), beta(std::max(m - 1, 0));
  Eigen::VectorXd w(n);
  LanczosResult result;
  double scale = 0;
  int steps = 0;
  for (int j = 0; j < m; ++j) {
    op.perform_op(q.col(j).data(), w.data());
    ++steps;
    alpha[j] = q.col(j).dot(w);
    // Full re-orthogonalisation by classical Gram-Schmidt. One pass loses orthogonality in
    // proportion to the cancellation in it; when w shrank below 1/sqrt(2) of its length a
    // second pass restores it to rounding ("twice is enough", Daniel-Gragg-Kaufman-Stewart).
    for (int pass = 0; pass < 2; ++pass) {
      const double before = w.norm();
      const auto basis = q.leftCols(j + 1);
      w.noalias() -= basis * (basis.transpose() * w);
      if (w.norm() > before * M_SQRT1_2) break;
    }
    scale = std::max(scale, std::abs(alpha[j]));
    if (j == m - 1) break;
    beta[j] = w.norm();
    scale = std::max(scale, beta[j]);
    if (beta[j] <= kBreakdown * scale) {
      result.breakdown = true;
      break;
    }
    q.col(j + 1) = w / beta[j];
  }
  result.steps = steps;
  result.alpha = alpha.head(steps);
  result.beta = beta.head(std::max(steps - 1, 0));
  result.products = op.products();
  return result;
}

}  // namespace curvtrack::linalg::detail
