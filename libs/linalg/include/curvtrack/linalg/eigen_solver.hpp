#pragma once
// Extreme eigenpairs of a symmetric operator by implicitly restarted Lanczos (Spectra).

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "curvtrack/linalg/operator_ref.hpp"

namespace curvtrack::linalg {

/// Which end of the spectrum to compute.
enum class Spectrum { kLargest, kSmallest };  // largest / smallest algebraic

/// Options of extreme_eigenpairs.
struct EigenOptions {
  int k = 1;                      ///< number of eigenpairs, 1 <= k < n
  int ncv = 0;                    ///< Krylov subspace size, k < ncv <= n; 0 = automatic
  double tol = 1e-10;             ///< Spectra relative tolerance: residual < tol * max(|lambda|, eps^(2/3))
  int max_restarts = 1000;        ///< implicit restarts allowed
  std::int64_t max_products = 0;  ///< product budget, residual check included (Spectra's rare invariant-subspace
                                  ///< re-seeding may add one each); 0 = unlimited
  std::vector<Eigen::VectorXd> warm_start;  ///< previous eigenvectors (may be empty), length n each
  std::uint64_t seed = 0;         ///< seed of the random part of the start vector
  /// Size of the spectrum (e.g. |lambda_max|), > 0 to judge convergence by residual <
  /// tol * max(|lambda|, spectral_scale): eigenvalues near zero (a Hessian's null space) can then
  /// converge. The solve runs on a shifted operator; 0 = plain relative tolerance.
  double spectral_scale = 0.0;

  /// Throws std::invalid_argument naming the offending option when the options do not fit dimension n.
  void check(Eigen::Index n) const;
};

/// Eigenpairs with their true residuals and the cost of computing them.
struct EigenResult {
  Eigen::VectorXd values;     ///< descending for kLargest, ascending for kSmallest
  Eigen::MatrixXd vectors;    ///< n x k, unit-norm columns
  Eigen::VectorXd residuals;  ///< ||A v - lambda v||_2 recomputed after the solve
  bool converged = false;     ///< every pair met tol
  std::int64_t products = 0;  ///< operator products, residual check included
  std::int64_t restarts = 0;  ///< implicit restarts performed
  std::string status;         ///< "converged" or "not converged: <why>"
};

/// The Krylov subspace size used when EigenOptions::ncv is 0 (tuned for few products at tol 1e-8).
int automatic_ncv(int k);

namespace detail {
EigenResult extreme_eigenpairs(OperatorRef& op, Spectrum which, const EigenOptions& options);
}  // namespace detail

/// The k largest or smallest algebraic eigenpairs of the symmetric operator `op`.
template <class Op>
EigenResult extreme_eigenpairs(const Op& op, Spectrum which, const EigenOptions& options) {
  detail::OperatorRef ref(op);
  return detail::extreme_eigenpairs(ref, which, options);
}

}  // namespace curvtrack::linalg
