#pragma once
// A cheap, certified update of a tracked top eigenpair: a few Lanczos steps started from the
// previous Ritz vector (Rayleigh-Ritz on the Krylov space it spans), stopped as soon as the true
// residual of the top Ritz pair certifies the value, or reported as failed so that the caller
// falls back to a full eigen-solve (docs/methods.md, "Certified tracking").

#include <Eigen/Core>
#include <cstdint>
#include <string>

#include "curvtrack/linalg/operator_ref.hpp"

namespace curvtrack::linalg {

/// Options of certified_top_eigenpair.
struct CertifiedRitzOptions {
  /// Accept when the true residual r = ||A y - theta y|| of the top Ritz pair satisfies
  /// r <= tol * |theta|: some eigenvalue of A then lies in [theta - r, theta + r].
  double tol = 1e-3;
  int max_steps = 4;  ///< Lanczos steps (operator products) before giving up, >= 1
};

/// What the certified update found.
struct CertifiedRitz {
  double value = 0;            ///< top Ritz value theta (a Rayleigh quotient: theta <= lambda_max)
  Eigen::VectorXd vector;      ///< its unit Ritz vector y
  Eigen::VectorXd image;       ///< A y, from the stored products (A Q s = (A Q) s): no further product
  double residual = 0;         ///< ||A y - theta y|| from the products made (A Q s = (A Q) s)
  double bound = 0;            ///< the certificate's bound on |lambda - theta|: the residual
  double second = 0;           ///< second Ritz value of the Krylov space (NaN after one step)
  bool passed = false;         ///< residual <= tol * |theta|
  int steps = 0;               ///< Lanczos steps = operator products spent
};

/// The Ritz vector after one free power step, A y / ||A y|| (from `image`), when theta > 0: its
/// components along the other eigenvectors shrink by lambda_i / lambda_max relative to y's (when no
/// eigenvalue exceeds lambda_max in magnitude), so it predicts the top eigenvector better than y
/// (a start for the next attempt, not a certified vector). Otherwise y itself.
Eigen::VectorXd power_refined(const CertifiedRitz& ritz);

namespace detail {
CertifiedRitz certified_top_eigenpair(OperatorRef& op, const Eigen::VectorXd& start, const CertifiedRitzOptions& options);
}  // namespace detail

/// Lanczos (full re-orthogonalisation) from `start` (normalised here), checking the top Ritz
/// pair's true residual after every product, until it passes or max_steps products are spent.
/// Throws std::invalid_argument for a start of the wrong length, zero or non-finite.
template <class Op>
CertifiedRitz certified_top_eigenpair(const Op& op, const Eigen::VectorXd& start, const CertifiedRitzOptions& options) {
  detail::OperatorRef ref(op);
  return detail::certified_top_eigenpair(ref, start, options);
}

}  // namespace curvtrack::linalg
