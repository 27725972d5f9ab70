#pragma once
// Power iteration with deflation as in PyHessian: the baseline the Lanczos solver is measured against.

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "curvtrack/linalg/operator_ref.hpp"

namespace curvtrack::linalg {

/// Eigenpair estimates of the baseline and what they cost.
struct PowerResult {
  Eigen::VectorXd values;       ///< estimates, in the order found
  Eigen::MatrixXd vectors;      ///< n x top_n, unit-norm columns
  std::vector<int> iterations;  ///< products spent on each eigenpair
  std::int64_t products = 0;    ///< operator products in total
};

namespace detail {
PowerResult power_iteration(const OperatorRef& op, int top_n, double tol, int max_iter, std::uint64_t seed);
}  // namespace detail

/// Top `top_n` eigenpairs by largest magnitude, one Rayleigh quotient per product, stopped when
/// |lambda_new - lambda_old| / (|lambda_old| + 1e-6) < tol or after max_iter products.
template <class Op>
PowerResult power_iteration(const Op& op, int top_n, double tol = 1e-3, int max_iter = 100, std::uint64_t seed = 0) {
  return detail::power_iteration(detail::OperatorRef(op), top_n, tol, max_iter, seed);
}

}  // namespace curvtrack::linalg
