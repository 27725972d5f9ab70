// Extreme eigenpairs from one unrestarted Lanczos basis with full re-orthogonalisation.
//
// A restarted method throws away most of its Krylov subspace at every restart and rebuilds it
// with new products; keeping the whole basis (and the products A q_j) makes every product count,
// and a Ritz pair's true residual A y - theta y = (A Q) s - theta Q s then costs no product.

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "curvtrack/linalg/lanczos.hpp"
#include "curvtrack/linalg/random_vectors.hpp"
#include "eigen_support.hpp"

namespace curvtrack::linalg::detail {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// The wanted eigenpairs of T: Ritz values and their coefficient vectors in the basis.
RitzPairs tridiagonal_pairs(const LanczosProcess& process, Spectrum which, int k) {
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig;
  eig.computeFromTridiagonal(process.alpha(), process.beta(), Eigen::ComputeEigenvectors);
  return select(eig.eigenvalues(), eig.eigenvectors(), which, k);
}

// The cheap test first: |beta_m s_m| is each residual up to the re-orthogonalisation's
// rounding; only when it passes are the true residuals formed.
bool estimates_within(const LanczosProcess& process, const RitzPairs& small, const EigenOptions& options) {
  const Index last = small.vectors.rows() - 1;
  for (int i = 0; i < options.k; ++i) {
    const double estimate = process.next_beta() * std::abs(small.vectors(last, i));
    if (estimate > residual_bound(small.values[i], options.tol, options.spectral_scale)) return false;
  }
  return true;
}

// The wanted Ritz pairs of the current basis, unit vectors, residuals from the stored products.
struct Ritz {
  RitzPairs pairs;        // vectors in the full space
  VectorXd residuals;
  bool all_within = false;
};

Ritz ritz(const LanczosProcess& process, const RitzPairs& small, const EigenOptions& options) {
  Ritz out;
  out.pairs.values = small.values;
  out.pairs.vectors = process.basis() * small.vectors;
  MatrixXd images = process.products() * small.vectors;  // A y for each Ritz vector y
  out.residuals.resize(options.k);
  out.all_within = true;
  for (int i = 0; i < options.k; ++i) {
    const double norm = out.pairs.vectors.col(i).norm();
    out.pairs.vectors.col(i) /= norm;
    images.col(i) /= norm;
    out.residuals[i] = (images.col(i) - out.pairs.values[i] * out.pairs.vectors.col(i)).norm();
    out.all_within = out.all_within &&
                     out.residuals[i] <= residual_bound(out.pairs.values[i], options.tol, options.spectral_scale);
  }
  return out;
}

EigenResult from_ritz(Ritz ritz, const OperatorRef& op, int steps) {
  EigenResult result;
  result.values = std::move(ritz.pairs.values);
  result.vectors = std::move(ritz.pairs.vectors);
  result.residuals = std::move(ritz.residuals);
  result.converged = ritz.all_within;
  result.products = op.products();
  result.lanczos_steps = steps;
  return result;
}

// The basis is full: the restarted solver goes on from the current Ritz vectors.
EigenResult continue_restarted(OperatorRef& op, Spectrum which, const EigenOptions& options, Ritz current,
                               int steps) {
  const std::int64_t spent = op.products();
  EigenOptions rest = options;
  rest.warm_start.clear();
  for (int i = 0; i < options.k; ++i) rest.warm_start.push_back(current.pairs.vectors.col(i));
  const std::string prefix = "after " + std::to_string(steps) + " Lanczos steps (max_basis), restarted: ";
  if (options.max_products > 0) {
    rest.max_products = options.max_products - spent;
    if (rest.max_products < 3 * options.k + 2) {  // too little left for a restarted solve
      EigenResult result = from_ritz(std::move(current), op, steps);
      result.outcome = result.converged ? EigenOutcome::kConverged : EigenOutcome::kBasisFull;
      result.status = result.converged ? "converged" : "not converged: the basis of " + std::to_string(steps) +
                      " vectors is full and the product budget max_products = " +
                      std::to_string(options.max_products) + " is spent" + worst_clause(result, options.spectral_scale);
      return result;
    }
  }
  EigenResult result = restarted_eigenpairs(op, which, rest);
  result.lanczos_steps = steps;
  result.status = result.converged ? "converged" : prefix + result.status;
  return result;
}

// EigenOptions::krylov_steps: the run goes on past the solve (no new directions after a
// breakdown) and its leading tridiagonal is kept for a density that reuses it.
void continue_for_density(LanczosProcess& process, const OperatorRef& op, const EigenOptions& options,
                          EigenResult& result) {
  const int wanted = static_cast<int>(std::min<Index>(options.krylov_steps, op.rows()));
  // The basis limit (memory) stays: a run it cannot hold is left to the density's own runs.
  if (wanted <= 0 || wanted > process.capacity() || !options.warm_start.empty() || options.max_products > 0) return;
  const std::int64_t before = op.products();
  while (process.steps() < wanted && process.can_step() && process.step()) {
  }
  const int steps = std::min(process.steps(), wanted);
  result.krylov.alpha = process.alpha().head(steps);
  result.krylov.beta = process.beta().head(std::max(steps - 1, 0));
  result.krylov.steps = steps;
  result.krylov.products = op.products() - before;
  result.krylov.breakdown = steps < wanted;
}

}  // namespace

EigenResult lanczos_eigenpairs(OperatorRef& op, Spectrum which, const EigenOptions& options) {
  const Index n = op.rows();
  const int capacity = options.max_basis > 0 ? options.max_basis : automatic_max_basis(options.k, n);
  const std::int64_t budget = options.max_products;
  if (budget > 0 && budget <= options.k) {
    throw std::invalid_argument("max_products = " + std::to_string(budget) + " is too small for k = " +
                                std::to_string(options.k) + ": more than k products are needed");
  }
  LanczosProcess process(op, start_vector(options, n), capacity, /*keep_products=*/true);
  std::mt19937_64 rng(options.seed ^ 0x9e3779b97f4a7c15ULL);  // fresh directions after a breakdown
  bool space_exhausted = false;
  while (true) {
    if (!process.step()) {
      // An invariant subspace: its Ritz pairs are exact, but the wanted end may lie outside it.
      space_exhausted = process.steps() == n || !process.continue_with(gaussian(n, rng));
    }
    const int steps = process.steps();
    const bool budget_spent = budget > 0 && op.products() >= budget;
    const bool full = space_exhausted || steps == capacity;
    if (steps < options.k || !(check_due(steps, options.k) || budget_spent || full)) continue;
    const RitzPairs small = tridiagonal_pairs(process, which, options.k);
    const bool estimated = process.next_beta() == 0.0 || estimates_within(process, small, options);
    if (!(estimated || budget_spent || full)) continue;
    Ritz current = ritz(process, small, options);
    // In exact arithmetic the estimates are the true residuals; when only the estimates are
    // within tol, more steps cannot help: the products' rounding is the floor. (A breakdown that
    // exhausted the space leaves next_beta 0, so it ends here too.)
    if (current.all_within || estimated || budget_spent) {
      EigenResult result = from_ritz(std::move(current), op, steps);
      if (result.converged) {
        result.outcome = EigenOutcome::kConverged;
        result.status = "converged";
      } else if (estimated) {
        result.outcome = EigenOutcome::kRoundingFloor;
        result.status = stalled_status(result, options.spectral_scale);
      } else {
        result.outcome = EigenOutcome::kBudgetSpent;
        result.status = "not converged: product budget max_products = " + std::to_string(budget) + " spent after " +
                        std::to_string(steps) + " Lanczos steps" + worst_clause(result, options.spectral_scale);
      }
      continue_for_density(process, op, options, result);
      if (options.keep_krylov_basis) result.krylov_basis = process.release_basis();
      return result;
    }
    return continue_restarted(op, which, options, std::move(current), steps);  // the basis is full
  }
}

}  // namespace curvtrack::linalg::detail
