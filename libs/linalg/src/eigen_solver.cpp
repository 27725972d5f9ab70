#include "curvtrack/linalg/eigen_solver.hpp"

#include <Eigen/Eigenvalues>
#include <Spectra/SymEigsSolver.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>

#include "curvtrack/linalg/random_vectors.hpp"
#include "eigen_support.hpp"

namespace curvtrack::linalg {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;
using detail::RitzPairs;
using detail::select;

// Weight of the random part of a warm start: large enough that an eigenvector absent from the
// previous set still gets amplified by the Krylov polynomial, small enough to keep the head start.
constexpr double kWarmNoise = 1e-3;

// Memory the automatic Lanczos basis may take (basis and products, doubles).
constexpr double kLanczosBasisBytes = 1024.0 * 1024.0 * 1024.0;
constexpr int kLanczosBasisCap = 500;

void fail(const std::string& message) { throw std::invalid_argument(message); }

// Spectra's accessors return only converged pairs; a budget-limited run must still return its
// best k, so they are rebuilt from the final factorisation A V = V H + f e^T.
class Solver : public Spectra::SymEigsSolver<detail::OperatorRef> {
 public:
  using Spectra::SymEigsSolver<detail::OperatorRef>::SymEigsSolver;

  RitzPairs ritz_pairs(Spectrum which) const {
    Eigen::SelfAdjointEigenSolver<MatrixXd> eig(m_fac.matrix_H());
    RitzPairs small = select(eig.eigenvalues(), eig.eigenvectors(), which, static_cast<int>(m_nev));
    small.vectors = m_fac.matrix_V() * small.vectors;
    return small;
  }
};

// Every operator column e_j, then a dense decomposition: Spectra needs ncv < n, so the restarted
// solver takes this path for tiny operators (the unrestarted one simply spans the whole space).
RitzPairs dense_pairs(detail::OperatorRef& op, Spectrum which, int k) {
  const Index n = op.rows();
  MatrixXd a(n, n);
  VectorXd unit = VectorXd::Zero(n);
  for (Index j = 0; j < n; ++j) {
    unit[j] = 1.0;
    op.perform_op(unit.data(), a.col(j).data());
    unit[j] = 0.0;
  }
  const MatrixXd symmetric = 0.5 * (a + a.transpose());
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig(symmetric);
  return select(eig.eigenvalues(), eig.eigenvectors(), which, k);
}

// shift * I + sign * A, so that the wanted end of A's spectrum is the largest algebraic end and
// of magnitude >= shift: Spectra's relative test then becomes absolute at the spectral scale.
struct ShiftedOperator {
  using Scalar = double;
  detail::OperatorRef& op;
  double shift;
  double sign;
  Index rows() const { return op.rows(); }
  Index cols() const { return op.cols(); }
  void perform_op(const double* x, double* y) const {
    op.perform_op(x, y);
    Eigen::Map<VectorXd> out(y, op.rows());
    out = sign * out + shift * Eigen::Map<const VectorXd>(x, op.rows());
  }
};

// Unit vectors and true residuals (k more products); returns whether every residual is within tol.
bool finish(detail::OperatorRef& op, RitzPairs pairs, double tol, double scale, EigenResult& result) {
  const Index n = op.rows();
  const int k = static_cast<int>(pairs.values.size());
  result.values = pairs.values;
  result.vectors = std::move(pairs.vectors);
  result.residuals.resize(k);
  VectorXd av(n);
  bool all_within = true;
  for (int i = 0; i < k; ++i) {
    result.vectors.col(i).normalize();
    op.perform_op(result.vectors.col(i).data(), av.data());
    result.residuals[i] = (av - result.values[i] * result.vectors.col(i)).norm();
    all_within = all_within && result.residuals[i] <= detail::residual_bound(result.values[i], tol, scale);
  }
  result.products = op.products();
  return all_within;
}

}  // namespace

// Tuned on NN-Hessian-like spectra (outliers 10..100 over a bulk near 0, n = 2000, tol 1e-8):
// 10 minimised products for k = 1 and 12 for k = 5; larger subspaces waste products on the first
// factorisation, smaller ones on restarts.
int automatic_ncv(int k) { return std::max(2 * k + 2, 10); }

int automatic_max_basis(int k, Index n) {
  const double per_step = 2.0 * sizeof(double) * static_cast<double>(n);  // basis vector and product
  const int fits = static_cast<int>(std::min(kLanczosBasisBytes / per_step, static_cast<double>(kLanczosBasisCap)));
  return static_cast<int>(std::min<Index>(n, std::max(fits, 2 * k + 2)));
}

const char* method_name(EigenMethod method) {
  return method == EigenMethod::kLanczos ? "lanczos" : "restarted";
}

void EigenOptions::check(Index n) const {
  const std::string sn = std::to_string(n);
  if (k < 1) fail("k = " + std::to_string(k) + " must be at least 1");
  if (k >= n) fail("k = " + std::to_string(k) + " must be smaller than the number of parameters n = " + sn);
  if (max_basis != 0 && (max_basis <= k || max_basis > n)) {
    fail("max_basis = " + std::to_string(max_basis) + " must satisfy k < max_basis <= n (k = " + std::to_string(k) +
         ", n = " + sn + "), or be 0 for automatic");
  }
  if (ncv != 0 && (ncv <= k || ncv > n)) {
    fail("ncv = " + std::to_string(ncv) + " must satisfy k < ncv <= n (k = " + std::to_string(k) +
         ", n = " + sn + "), or be 0 for automatic");
  }
  if (!(tol > 0) || !std::isfinite(tol)) fail("tol = " + detail::format_double(tol) + " must be positive");
  if (!(spectral_scale >= 0) || !std::isfinite(spectral_scale)) {
    fail("spectral_scale = " + detail::format_double(spectral_scale) + " must be >= 0 (0 = plain relative tolerance)");
  }
  if (max_restarts < 0) fail("max_restarts = " + std::to_string(max_restarts) + " must be >= 0");
  if (max_products < 0) fail("max_products = " + std::to_string(max_products) + " must be >= 0 (0 = unlimited)");
  if (krylov_steps < 0) fail("krylov_steps = " + std::to_string(krylov_steps) + " must be >= 0 (0 = none)");
  for (std::size_t i = 0; i < warm_start.size(); ++i) {
    if (warm_start[i].size() != n) {
      fail("warm_start[" + std::to_string(i) + "] has length " + std::to_string(warm_start[i].size()) +
           ", expected n = " + sn);
    }
    if (!warm_start[i].allFinite()) fail("warm_start[" + std::to_string(i) + "] is not finite");
  }
}

namespace detail {

// Below this many steps the Ritz pairs are checked after every product; beyond, every
// steps / kCheckSpacing products (the tridiagonal eigenproblem grows as steps^3).
constexpr int kCheckEveryStepUntil = 64;
constexpr int kCheckSpacing = 16;

bool check_due(int steps, int k) {
  if (steps < k) return false;
  if (steps <= kCheckEveryStepUntil) return true;
  return steps % std::max(1, steps / kCheckSpacing) == 0;
}

RitzPairs select(const VectorXd& ascending, const MatrixXd& vectors, Spectrum which, int k) {
  RitzPairs out{VectorXd(k), MatrixXd(vectors.rows(), k)};
  const Index m = ascending.size();
  for (int i = 0; i < k; ++i) {
    const Index j = which == Spectrum::kLargest ? m - 1 - i : i;
    out.values[i] = ascending[j];
    out.vectors.col(i) = vectors.col(j);
  }
  return out;
}

VectorXd start_vector(const EigenOptions& options, Index n) {
  std::mt19937_64 rng(options.seed);
  VectorXd noise = gaussian(n, rng);
  noise.normalize();
  VectorXd sum = VectorXd::Zero(n);
  for (const VectorXd& w : options.warm_start) {
    const double norm = w.norm();
    if (norm > 0) sum += w / norm;
  }
  const double sum_norm = sum.norm();
  // Cancelling or absent warm vectors carry no direction: fall back to a cold start.
  if (!(sum_norm > 1e-8)) return noise;
  return sum / sum_norm + kWarmNoise * noise;
}

double residual_bound(double value, double tol, double scale) {
  static const double eps23 = std::pow(std::numeric_limits<double>::epsilon(), 2.0 / 3.0);
  return tol * std::max({eps23, std::abs(value), scale});
}

double worst_relative_residual(const EigenResult& r, double scale) {
  double worst = 0;
  for (Index i = 0; i < r.values.size(); ++i) {
    worst = std::max(worst, r.residuals[i] / std::max({std::abs(r.values[i]), scale, 1e-300}));
  }
  return worst;
}

std::string worst_clause(const EigenResult& result, double scale) {
  return " (worst residual / max(|lambda|, scale) = " + format_double(worst_relative_residual(result, scale)) + ")";
}

std::string stalled_status(const EigenResult& result, double scale) {
  return "not converged: the Krylov estimates met tol but the true residuals stay above it" +
         worst_clause(result, scale) + ": the rounding of the products limits them; raise tol or compute in float64";
}

std::string format_double(double x) {
  std::ostringstream out;
  out.precision(3);
  out << x;
  return out.str();
}

EigenResult extreme_eigenpairs(OperatorRef& op, Spectrum which, const EigenOptions& options) {
  const Index n = op.rows();
  options.check(n);
  const int k = options.k;
  const std::int64_t budget = options.max_products;
  if (options.method == EigenMethod::kLanczos) {
    EigenResult result = lanczos_eigenpairs(op, which, options);
    // A basis that spans the whole space holds every eigenpair: nothing can be missing.
    if (result.lanczos_steps < n) check_completeness(op, which, options, result);
    return result;
  }
  if (options.ncv == 0 && automatic_ncv(k) >= n) {
    if (budget > 0 && budget < n + k) {
      fail("max_products = " + std::to_string(budget) + " is below the n + k = " + std::to_string(n + k) +
           " products of the dense path taken for n = " + std::to_string(n));
    }
    EigenResult result;
    finish(op, dense_pairs(op, which, k), options.tol, options.spectral_scale, result);
    result.converged = true;  // a dense decomposition is exact to rounding
    result.outcome = EigenOutcome::kConverged;
    result.status = "converged";
    return result;
  }
  EigenResult result = restarted_eigenpairs(op, which, options);
  check_completeness(op, which, options, result);
  return result;
}

EigenResult restarted_eigenpairs(OperatorRef& op, Spectrum which, const EigenOptions& options) {
  const Index n = op.rows();
  const int k = options.k;
  const std::int64_t budget = options.max_products;
  EigenResult result;

  // Spectra spends ncv + 1 products on the first factorisation and at most ncv - k per restart.
  int ncv = options.ncv > 0 ? options.ncv : automatic_ncv(k);
  std::int64_t max_restarts = options.max_restarts;
  bool budget_binds = false;
  if (budget > 0) {
    const std::int64_t solver_budget = budget - k;  // k products go to the residual check
    ncv = static_cast<int>(std::min<std::int64_t>(ncv, solver_budget - 1));
    if (ncv <= k) {
      fail("max_products = " + std::to_string(budget) + " is too small for k = " + std::to_string(k) +
           ": at least 2k + 2 = " + std::to_string(2 * k + 2) + " are needed");
    }
    const std::int64_t affordable = (solver_budget - ncv - 1) / (ncv - k);
    budget_binds = affordable < max_restarts;
    max_restarts = std::min(max_restarts, affordable);
  }

  const VectorXd start = start_vector(options, n);
  RitzPairs pairs;
  bool solver_converged = false;  // by Spectra's own residual estimates
  if (options.spectral_scale > 0) {
    // Largest of shift*I + sign*A: sign -1 finds A's smallest, +1 its largest.
    const double sign = which == Spectrum::kSmallest ? -1.0 : 1.0;
    ShiftedOperator shifted{op, options.spectral_scale, sign};
    OperatorRef shifted_ref(shifted);
    Solver solver(shifted_ref, k, ncv);
    solver.init(start.data());
    solver.compute(Spectra::SortRule::LargestAlge, max_restarts, options.tol, Spectra::SortRule::LargestAlge);
    result.restarts = solver.num_iterations() - 1;
    solver_converged = solver.info() == Spectra::CompInfo::Successful;
    pairs = solver.ritz_pairs(Spectrum::kLargest);
    pairs.values = ((pairs.values.array() - options.spectral_scale) * sign).matrix();
  } else {
    const Spectra::SortRule rule =
        which == Spectrum::kLargest ? Spectra::SortRule::LargestAlge : Spectra::SortRule::SmallestAlge;
    Solver solver(op, k, ncv);
    solver.init(start.data());
    solver.compute(rule, max_restarts, options.tol, rule);
    result.restarts = solver.num_iterations() - 1;
    solver_converged = solver.info() == Spectra::CompInfo::Successful;
    pairs = solver.ritz_pairs(which);
  }
  // The true residuals decide; Spectra's estimates can go below what the products' rounding allows.
  result.converged = finish(op, std::move(pairs), options.tol, options.spectral_scale, result);

  if (result.converged) {
    result.outcome = EigenOutcome::kConverged;
    result.status = "converged";
  } else if (solver_converged) {
    result.outcome = EigenOutcome::kRoundingFloor;
    result.status = stalled_status(result, options.spectral_scale);
  } else {
    result.outcome = budget_binds ? EigenOutcome::kBudgetSpent : EigenOutcome::kRestartsSpent;
    const std::string worst = worst_clause(result, options.spectral_scale);
    result.status = budget_binds ? "not converged: product budget max_products = " + std::to_string(budget) +
                                       " allows only " + std::to_string(max_restarts) + " restarts" + worst
                                 : "not converged: max_restarts = " + std::to_string(max_restarts) + " reached" + worst;
  }
  return result;
}

}  // namespace detail
}  // namespace curvtrack::linalg
