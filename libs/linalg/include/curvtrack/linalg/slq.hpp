#pragma once
// Spectral density by stochastic Lanczos quadrature (Ghorbani et al. 2019; Ubaru et al. 2017).

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "curvtrack/linalg/lanczos.hpp"
#include "curvtrack/linalg/operator_ref.hpp"

namespace curvtrack::linalg {

/// Options of slq.
struct SlqOptions {
  int steps = 80;                 ///< Lanczos steps m per run (capped at n)
  int runs = 10;                  ///< independent Rademacher start vectors
  std::uint64_t seed = 0;         ///< seed of the start vectors
  double sigma_fraction = 0.01;   ///< broadening sigma as a fraction of the node range
  int grid_points = 1000;         ///< density grid size, >= 2
  double sigma = 0;               ///< > 0: fixed broadening (eigenvalue units), overrides sigma_fraction

  /// Throws std::invalid_argument naming the offending option.
  void check() const;
};

/// One quadrature rule: Ritz values and the squared first components of their eigenvectors.
struct SlqRun {
  Eigen::VectorXd nodes;    ///< Ritz values, ascending
  Eigen::VectorXd weights;  ///< quadrature weights, sum to 1
};

/// Quadrature rules, the broadened density and the trace they imply.
struct SlqResult {
  std::vector<SlqRun> runs;   ///< one rule per start vector
  Eigen::VectorXd grid;       ///< eigenvalue grid, [min node - 5 sigma, max node + 5 sigma]
  Eigen::VectorXd density;    ///< broadened density on grid, integrates to ~1
  double sigma = 0;           ///< Gaussian broadening used (eigenvalue units)
  double trace = 0;           ///< mean over runs of n * sum_i w_i node_i
  double trace_se = 0;        ///< standard error of trace (sd / sqrt(runs); NaN for one run)
  std::int64_t products = 0;  ///< operator products
  /// Products of the first run's Lanczos steps taken from another solve (not in products): see
  /// slq's `first_run`.
  std::int64_t shared_products = 0;
};

/// Run average of sum_i w_i N(x - node_i; 0, sigma^2) at each grid point x.
Eigen::VectorXd broadened_density(const std::vector<SlqRun>& runs, const Eigen::VectorXd& grid, double sigma);

/// The quadrature rule of a Lanczos tridiagonal (Golub-Welsch).
SlqRun quadrature_rule(const Eigen::VectorXd& alpha, const Eigen::VectorXd& beta);

namespace detail {
SlqResult slq(const OperatorRef& op, const SlqOptions& options, const LanczosResult* first_run);
}  // namespace detail

/// Stochastic Lanczos quadrature of the symmetric operator `op`. `first_run`, when given, is a
/// Lanczos run of `op` from a random unit start (EigenResult::krylov of a cold solve) with
/// min(options.steps, n) steps, or fewer after a breakdown; it serves as the first of the runs
/// without a product of its own. Its continuation products (first_run->products) are counted in
/// products, its other steps in shared_products. A first_run of any other length is ignored.
template <class Op>
SlqResult slq(const Op& op, const SlqOptions& options, const LanczosResult* first_run = nullptr) {
  return detail::slq(detail::OperatorRef(op), options, first_run);
}

}  // namespace curvtrack::linalg
