#pragma once
// Plain Lanczos tridiagonalisation with full re-orthogonalisation (the building block of SLQ).

#include <Eigen/Core>
#include <cstdint>

#include "curvtrack/linalg/operator_ref.hpp"

namespace curvtrack::linalg {

/// The tridiagonal T = Q^T A Q of a Lanczos run.
struct LanczosResult {
  Eigen::VectorXd alpha;      ///< diagonal of T, size steps
  Eigen::VectorXd beta;       ///< off-diagonal of T, size steps - 1
  int steps = 0;              ///< steps taken (< m after a breakdown)
  std::int64_t products = 0;  ///< operator products, equal to steps
  bool breakdown = false;     ///< an invariant subspace was found before m steps
};

namespace detail {
LanczosResult lanczos(const OperatorRef& op, const Eigen::Ref<const Eigen::VectorXd>& start, int m);
}  // namespace detail

/// m steps of Lanczos from `start` (any nonzero length-n vector; it is normalised), 1 <= m <= n,
/// re-orthogonalising every vector twice against all previous ones.
template <class Op>
LanczosResult lanczos(const Op& op, const Eigen::Ref<const Eigen::VectorXd>& start, int m) {
  return detail::lanczos(detail::OperatorRef(op), start, m);
}

}  // namespace curvtrack::linalg
