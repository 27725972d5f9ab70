// Completeness of a converged top-k (or bottom-k) set of eigenpairs.
//
// One Krylov sequence K(A, v0) meets each eigenspace of A in a single direction: a vector of the
// eigenspace orthogonal to v0's component there is orthogonal to the whole sequence. A repeated
// eigenvalue therefore shows up once among the Ritz values, and the solve returns the next
// distinct values in place of its copies, with small residuals. The check runs a fresh Lanczos
// sequence on the deflated operator B = P A P, P = I - W W^T (W: every vector found so far), from
// a random start in range(P), and decides whether B has an eigenvalue beyond the k-th value.
//
// "Beyond" (found): the extreme Ritz value of B passes lambda_k by more than the tolerance delta.
// Ritz values are Rayleigh quotients, so this is certain; the pair is then converged to tol,
// merged, and a new round starts.
//
// "Not beyond" (complete), for the top end (the bottom mirrors it): let (theta, y = Q s) be the
// top Ritz pair after j steps, theta_i the other Ritz values, L = lambda_k + delta > theta. In exact
// arithmetic y = phi(B) v0 / (phi(theta) s_1) with phi(x) = prod_i (x - theta_i). An eigenvector v
// of B with eigenvalue mu >= L and start component c = v^T v0 then has
//   |v^T y| = |c| |phi(mu) / phi(theta)| / |s_1| >= |c| G / |s_1|,  G = prod_i (L - theta_i) / (theta - theta_i) >= 1,
// so the residual rho = ||B y - theta y|| >= |v^T y| (mu - theta) >= |c| G (L - theta) / |s_1|.
// Once rho |s_1| sqrt(n') <= eps G (L - theta), every such eigenvector has |c| <= eps / sqrt(n'),
// which a start uniformly distributed on the unit sphere of range(P) (dimension n') gives with
// probability at most eps sqrt(2/pi). The bound needs no knowledge of the spectrum, and it is
// met as soon as the top Ritz pair of B is resolved well enough to stay apart from lambda_k: few
// products when the gap lambda_k - lambda_{k+1} is not tiny. When B's top sits within the
// tolerance of lambda_k, the bound cannot separate them; a top pair converged to tol then ends
// the check (a missing value there would equal lambda_k within tol).

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "curvtrack/linalg/column_store.hpp"
#include "curvtrack/linalg/lanczos.hpp"
#include "curvtrack/linalg/random_vectors.hpp"
#include "eigen_support.hpp"
#include "projection.hpp"

namespace curvtrack::linalg::detail {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// eps above: a missing eigenvector escapes one round with probability at most 0.8 eps.
constexpr double kMissProbability = 1e-4;
constexpr std::uint64_t kCheckSeed = 0xc0ffee5eedULL;
// A pair found missing is accepted when B's residual estimate is below this share of the bound.
constexpr double kFoundShare = 0.5;

// B = P A P, keeping each raw product A (P x): a Ritz vector y = Q s of B then has A y = (A Q) s
// without a further product, for its true residual under A.
class DeflatedOperator {
 public:
  using Scalar = double;
  DeflatedOperator(OperatorRef& op, const MatrixXd& w, Index capacity)
      : op_(op), w_(w), raw_(op.rows(), capacity) {}
  Index rows() const { return op_.rows(); }
  Index cols() const { return op_.cols(); }
  void perform_op(const double* x, double* y) const {
    const Index n = rows();
    const VectorXd px = x_out(Eigen::Map<const VectorXd>(x, n));
    if (stored_ == raw_.cols()) throw std::logic_error("completeness check: more products than the basis holds");
    auto ax = raw_.matrix().col(stored_++);
    op_.perform_op(px.data(), ax.data());
    Eigen::Map<VectorXd>(y, n) = x_out(ax);
  }
  /// A times the basis combination Q s (the first s.size() products).
  VectorXd image(const VectorXd& s) const { return raw_.matrix().leftCols(s.size()) * s; }

 private:
  VectorXd x_out(VectorXd x) const {
    subtract_projection(w_, x);
    return x;
  }

  OperatorRef& op_;
  const MatrixXd& w_;
  mutable ColumnStore raw_;  // the products A (P x), one column a step
  mutable Index stored_ = 0;
};

enum class Verdict { kComplete, kFound, kBudgetSpent, kBasisFull };

struct Round {
  Verdict verdict = Verdict::kComplete;
  bool has_pair = false;  // a pair beyond lambda_k (converged when verdict is kFound)
  double value = 0.0;
  VectorXd vector;
  VectorXd image;         // A vector
  double residual = 0.0;
  int steps = 0;
};

// The extreme Ritz pair of B as a unit vector with its true residual under A.
void take_pair(const LanczosProcess& process, const DeflatedOperator& deflated, double theta, const VectorXd& s,
               Round& round) {
  VectorXd y = process.basis() * s;
  VectorXd ay = deflated.image(s);
  const double norm = y.norm();
  y /= norm;
  ay /= norm;
  round.has_pair = true;
  round.value = theta;
  round.residual = (ay - theta * y).norm();
  round.vector = std::move(y);
  round.image = std::move(ay);
}

// Whether the bound in the file comment shows that no eigenvector of B beyond `limit` has a start
// component above eps / sqrt(n'). `sign` turns the bottom end into the top one.
bool certified_below(const VectorXd& ritz, Index top, const VectorXd& s, double rho, double limit, double sign,
                     Index dim) {
  const double gap = sign * (limit - ritz[top]);
  if (!(gap > 0)) return false;
  double log_g = 0.0;
  for (Index i = 0; i < ritz.size(); ++i) {
    const double below = sign * (ritz[top] - ritz[i]);
    if (i != top && below > 0) log_g += std::log((gap + below) / below);
  }
  const double lhs = rho * std::abs(s[0]) * std::sqrt(static_cast<double>(dim));
  return lhs == 0.0 || std::log(lhs) <= std::log(kMissProbability * gap) + log_g;
}

// One round: a Lanczos sequence on B from a random start in range(W)^perp until it decides.
Round search(OperatorRef& op, const MatrixXd& w, Spectrum which, const EigenOptions& options, double kth,
             std::uint64_t round_index) {
  const Index n = op.rows();
  const Index dim = n - w.cols();
  const double sign = which == Spectrum::kLargest ? 1.0 : -1.0;
  const double delta = residual_bound(kth, options.tol, options.spectral_scale);
  const int capacity = static_cast<int>(
      std::min<Index>(dim, options.max_basis > 0 ? options.max_basis : automatic_max_basis(1, dim)));
  std::mt19937_64 rng(options.seed ^ (kCheckSeed + round_index));
  DeflatedOperator deflated(op, w, capacity);
  OperatorRef deflated_ref(deflated);
  VectorXd start = gaussian(n, rng);
  subtract_projection_twice(w, start);
  LanczosProcess process(deflated_ref, start, capacity, /*keep_products=*/false);
  Round out;
  bool found = false;
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig;
  while (true) {
    const bool budget_spent = options.max_products > 0 && op.products() >= options.max_products;
    const bool exhausted = !budget_spent && !process.step();  // an invariant subspace: exact Ritz pairs
    const int steps = process.steps();
    const bool full = exhausted || steps == capacity;
    out.steps = steps;
    if (steps == 0) {
      out.verdict = Verdict::kBudgetSpent;
      return out;
    }
    if (!(budget_spent || full || check_due(steps, 1))) continue;
    eig.computeFromTridiagonal(process.alpha(), process.beta(), Eigen::ComputeEigenvectors);
    const VectorXd& ritz = eig.eigenvalues();
    const Index top = which == Spectrum::kLargest ? ritz.size() - 1 : 0;
    const VectorXd s = eig.eigenvectors().col(top);
    const double theta = ritz[top];
    const double rho = exhausted ? 0.0 : process.next_beta() * std::abs(s[s.size() - 1]);
    const double bound = residual_bound(theta, options.tol, options.spectral_scale);
    const bool converged = rho <= bound;
    found = found || sign * (theta - kth) > delta;
    if (found) {
      // Half the bound for B's residual: A's adds the part along W (see rayleigh_ritz).
      if (rho <= kFoundShare * bound || budget_spent || full) {
        take_pair(process, deflated, theta, s, out);
        out.verdict = rho <= kFoundShare * bound ? Verdict::kFound
                      : budget_spent             ? Verdict::kBudgetSpent
                                                 : Verdict::kBasisFull;
        return out;
      }
      continue;
    }
    if (converged || certified_below(ritz, top, s, rho, kth + sign * delta, sign, dim)) {
      out.verdict = Verdict::kComplete;
      return out;
    }
    if (budget_spent || full) {
      out.verdict = budget_spent ? Verdict::kBudgetSpent : Verdict::kBasisFull;
      return out;
    }
  }
}

// Puts the new pair among the k wanted ones (in EigenResult's order), dropping the last.
void merge(EigenResult& result, const Round& round, double sign) {
  const Index k = result.values.size();
  Index at = k - 1;
  while (at > 0 && sign * round.value > sign * result.values[at - 1]) --at;
  for (Index i = k - 1; i > at; --i) {
    result.values[i] = result.values[i - 1];
    result.residuals[i] = result.residuals[i - 1];
    result.vectors.col(i) = result.vectors.col(i - 1);
  }
  result.values[at] = round.value;
  result.residuals[at] = round.residual;
  result.vectors.col(at) = round.vector;
}

// The vectors found so far (orthonormal) and, once known, their images under A.
struct Found {
  MatrixXd w;
  MatrixXd aw;  // empty until the first missing pair: computing it costs w.cols() products
};

// Rayleigh-Ritz of A on span(w, y) from the images: the new pair's residual has a part along w,
// w^T A y, made of the found pairs' own residuals (up to tol times their larger values, when they
// were dropped), which only a joint projection removes. Sets the k wanted pairs of the result.
void rayleigh_ritz(Found& found, const Round& round, Spectrum which, EigenResult& result) {
  const Index m = found.w.cols();
  MatrixXd v(found.w.rows(), m + 1);
  MatrixXd av(found.w.rows(), m + 1);
  const VectorXd along = found.w.transpose() * round.vector;
  v << found.w, round.vector - found.w * along;
  av << found.aw, round.image - found.aw * along;
  const double norm = v.col(m).norm();
  v.col(m) /= norm;
  av.col(m) /= norm;
  const MatrixXd g = v.transpose() * av;
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig(0.5 * (g + g.transpose()));
  found.w = v * eig.eigenvectors();
  found.aw = av * eig.eigenvectors();
  const RitzPairs wanted = select(eig.eigenvalues(), eig.eigenvectors(), which, static_cast<int>(result.values.size()));
  result.values = wanted.values;
  result.vectors = v * wanted.vectors;
  const MatrixXd images = av * wanted.vectors;
  for (Index i = 0; i < result.values.size(); ++i) {
    result.residuals[i] = (images.col(i) - result.values[i] * result.vectors.col(i)).norm();
  }
}

// Adds a pair found missing: jointly with the found ones when their images are known or
// affordable, else merged as it is (its true residual then includes the coupling).
void add_pair(OperatorRef& op, const EigenOptions& options, Spectrum which, Found& found, const Round& round,
              EigenResult& result) {
  const Index n = op.rows();
  const Index m = found.w.cols();
  const bool affordable = options.max_products == 0 || op.products() + m <= options.max_products;
  if (found.aw.cols() != m && affordable) {
    found.aw.resize(n, m);
    for (Index j = 0; j < m; ++j) op.perform_op(found.w.col(j).data(), found.aw.col(j).data());
  }
  if (found.aw.cols() == m) {
    rayleigh_ritz(found, round, which, result);
    return;
  }
  merge(result, round, which == Spectrum::kLargest ? 1.0 : -1.0);
  found.w = orthonormal_columns((MatrixXd(n, m + 1) << found.w, round.vector).finished());
}

}  // namespace

void check_completeness(OperatorRef& op, Spectrum which, const EigenOptions& options, EigenResult& result) {
  const int k = options.k;
  if (!options.check_completeness || k < 2 || !result.converged) return;
  const Index n = op.rows();
  const std::int64_t before = op.products();
  result.completeness_checked = true;
  Found found{orthonormal_columns(result.vectors), MatrixXd()};
  Round round;
  for (std::uint64_t index = 0; found.w.cols() < n; ++index) {
    round = search(op, found.w, which, options, result.values[k - 1], index);
    if (round.has_pair) {
      add_pair(op, options, which, found, round, result);
      ++result.completeness_added;
    }
    if (round.verdict != Verdict::kFound) break;
  }
  result.completeness_products = op.products() - before;
  result.products += result.completeness_products;  // products spent after the solve for a density are not its own
  const std::string cost = std::to_string(result.completeness_products) + " products, " +
                           std::to_string(result.completeness_added) + " missing pairs merged";
  if (round.verdict == Verdict::kBudgetSpent || round.verdict == Verdict::kBasisFull) {
    result.converged = false;
    result.outcome = round.verdict == Verdict::kBudgetSpent ? EigenOutcome::kBudgetSpent : EigenOutcome::kBasisFull;
    result.status = std::string("not converged: completeness check ") +
                    (round.verdict == Verdict::kBudgetSpent
                         ? "spent the budget max_products = " + std::to_string(options.max_products)
                         : "undecided when its basis of " + std::to_string(round.steps) + " vectors was full") +
                    " (" + cost + (round.has_pair ? ", a pair beyond the k-th value left unconverged" : "") + ")" +
                    worst_clause(result, options.spectral_scale);
    return;
  }
  bool all_within = true;
  for (int i = 0; i < k; ++i) {
    all_within = all_within &&
                 result.residuals[i] <= residual_bound(result.values[i], options.tol, options.spectral_scale);
  }
  if (!all_within) {  // a merged pair whose estimate met tol but whose true residual could not
    result.converged = false;
    result.outcome = EigenOutcome::kRoundingFloor;
    result.status = stalled_status(result, options.spectral_scale);
  }
}

}  // namespace curvtrack::linalg::detail
