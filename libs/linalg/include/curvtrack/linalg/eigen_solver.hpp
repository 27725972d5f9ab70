#pragma once
// Extreme eigenpairs of a symmetric operator: unrestarted Lanczos with full re-orthogonalisation
// (fewest products), or implicitly restarted Lanczos (Spectra, least memory).

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "curvtrack/linalg/lanczos.hpp"
#include "curvtrack/linalg/operator_ref.hpp"

namespace curvtrack::linalg {

/// Which end of the spectrum to compute.
enum class Spectrum { kLargest, kSmallest };  // largest / smallest algebraic

/// How extreme_eigenpairs searches.
enum class EigenMethod {
  /// One Krylov basis grown without restarts, fully re-orthogonalised, keeping every product A q_j
  /// so that residuals need no further products: the fewest products, 2 n doubles of memory per
  /// step. When max_basis steps do not suffice it continues as kRestarted from its Ritz vectors.
  kLanczos,
  /// Spectra's implicitly restarted Lanczos with ncv vectors (memory fixed at ncv n doubles);
  /// true residuals cost k more products.
  kRestarted,
};

/// "lanczos" or "restarted".
const char* method_name(EigenMethod method);

/// Options of extreme_eigenpairs.
struct EigenOptions {
  int k = 1;                      ///< number of eigenpairs, 1 <= k < n
  EigenMethod method = EigenMethod::kLanczos;
  int max_basis = 0;              ///< kLanczos: most basis vectors, k < max_basis <= n; 0 = automatic_max_basis
  int ncv = 0;                    ///< kRestarted: Krylov subspace size, k < ncv <= n; 0 = automatic
  double tol = 1e-10;             ///< relative tolerance on the true residuals: residual <= tol * max(|lambda|, spectral_scale, eps^(2/3))
  int max_restarts = 1000;        ///< implicit restarts allowed
  std::int64_t max_products = 0;  ///< product budget, residual check included (Spectra's rare invariant-subspace
                                  ///< re-seeding may add one each); 0 = unlimited
  std::vector<Eigen::VectorXd> warm_start;  ///< previous eigenvectors (may be empty), length n each
  std::uint64_t seed = 0;         ///< seed of the random part of the start vector
  /// Size of the spectrum (e.g. |lambda_max|), > 0 to judge convergence by residual <
  /// tol * max(|lambda|, spectral_scale): eigenvalues near zero (a Hessian's null space) can then
  /// converge. The solve runs on a shifted operator; 0 = plain relative tolerance.
  double spectral_scale = 0.0;
  /// For k >= 2: after a converged solve, search the operator deflated by the pairs found for a
  /// missing one beyond the k-th value (a repeated eigenvalue, whose eigenspace one Krylov
  /// sequence meets in a single direction), merge what it finds and repeat. Costs products.
  bool check_completeness = true;
  /// > 0: a kLanczos solve from a cold start (no warm_start), without a product budget and with
  /// room in its basis (max_basis) goes on with its own Lanczos run after the solve, to this many
  /// steps, and returns the run's tridiagonal in EigenResult::krylov: the first quadrature run of
  /// a spectral density from a random start (slq), at the cost of the steps the solve had not
  /// taken. 0 = none.
  int krylov_steps = 0;
  /// A kLanczos solve that ends within its basis (not continued by restarts) hands its basis
  /// and products (after any krylov_steps continuation) to EigenResult::krylov_basis, for a trace
  /// that deflates by them (TraceMethod::kKrylov).
  bool keep_krylov_basis = false;

  /// Throws std::invalid_argument naming the offending option when the options do not fit dimension n.
  void check(Eigen::Index n) const;
};

/// How an eigen-solve ended (as Spectra's CompInfo): converged, or why not.
enum class EigenOutcome {
  kConverged,       ///< every true residual met tol
  kRoundingFloor,   ///< the Krylov estimates met tol but the true residuals cannot (the products' rounding)
  kBudgetSpent,     ///< max_products was spent first
  kRestartsSpent,   ///< the restarted solver ran out of restarts
  kBasisFull,       ///< the unrestarted basis is full and too little budget is left to go on
};

/// Eigenpairs with their true residuals and the cost of computing them.
struct EigenResult {
  Eigen::VectorXd values;     ///< descending for kLargest, ascending for kSmallest
  Eigen::MatrixXd vectors;    ///< n x k, unit-norm columns
  /// ||A v - lambda v||_2 after the solve: from fresh products (kRestarted) or, for kLanczos, from
  /// the stored products, A (Q s) = (A Q) s, which equals a fresh product up to rounding.
  Eigen::VectorXd residuals;
  bool converged = false;     ///< every pair met tol (outcome == kConverged)
  EigenOutcome outcome = EigenOutcome::kConverged;
  std::int64_t products = 0;  ///< operator products, residual check included
  int lanczos_steps = 0;      ///< steps of the unrestarted basis (kLanczos)
  std::int64_t restarts = 0;  ///< implicit restarts performed (kRestarted, or kLanczos continued by it)
  std::string status;         ///< the outcome in words for files: "converged" or "not converged: <why, with numbers>"
  bool completeness_checked = false;       ///< the completeness check ran (k >= 2 and the solve had converged)
  std::int64_t completeness_products = 0;  ///< products the check spent (included in products)
  int completeness_added = 0;              ///< pairs the check found missing and merged in
  /// With EigenOptions::krylov_steps: the solve's Lanczos run (from its random unit start) as a
  /// tridiagonal of min(krylov_steps, n) steps (fewer after a breakdown); krylov.products are the
  /// products spent continuing it past the solve, not included in products. Empty (steps 0) when
  /// not asked for, or when the solve was warm-started, had a budget or needed restarts.
  LanczosResult krylov;
  /// With EigenOptions::keep_krylov_basis: the solve's basis Q and products A Q; null when not
  /// asked for or when the solve went on with restarts.
  std::shared_ptr<const KrylovBasis> krylov_basis;
};

/// The Krylov subspace size used when EigenOptions::ncv is 0 (tuned for few products at tol 1e-8).
int automatic_ncv(int k);

/// The basis limit used when EigenOptions::max_basis is 0: what 1 GiB holds (basis and products),
/// between 2k + 2 and 500, at most n.
int automatic_max_basis(int k, Eigen::Index n);

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
