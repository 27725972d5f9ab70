#pragma once
// Plain Lanczos tridiagonalisation with full re-orthogonalisation (the building block of SLQ and
// of the unrestarted eigensolver).

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <utility>

#include "curvtrack/linalg/column_store.hpp"
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

/// A Lanczos run's orthonormal basis Q (n x steps) and its products A Q, kept after an eigen-solve
/// for a trace estimator that takes tr(Q^T A Q) exactly from them (TraceMethod::kKrylov).
class KrylovBasis {
 public:
  KrylovBasis(detail::ColumnStore basis, detail::ColumnStore products, int steps)
      : basis_(std::move(basis)), products_(std::move(products)), steps_(steps) {}
  int steps() const { return steps_; }
  auto basis() const { return basis_.matrix().leftCols(steps_); }
  auto products() const { return products_.matrix().leftCols(steps_); }

 private:
  detail::ColumnStore basis_;
  detail::ColumnStore products_;
  int steps_;
};

namespace detail {

/// Lanczos one step at a time: an orthonormal basis Q of the Krylov subspace, T = Q^T A Q and,
/// when asked, the products A Q themselves (so that A (Q s) = (A Q) s needs no new product).
class LanczosProcess {
 public:
  /// Room for `capacity` steps (1 <= capacity <= n), starting from `start` (nonzero, finite).
  /// The storage for `capacity` steps is reserved at once (ColumnStore): memory is backed as the
  /// steps write it, and nothing is copied as the run grows.
  LanczosProcess(const OperatorRef& op, const Eigen::Ref<const Eigen::VectorXd>& start, int capacity,
                 bool keep_products);

  /// One product and the re-orthogonalisation of its result. Returns false when the new
  /// direction vanished (an invariant subspace: no next basis vector until continue_with).
  bool step();
  /// After a breakdown: continues with `direction` made orthogonal to the basis (T gets a zero
  /// off-diagonal there). Returns false when nothing of it is left outside the basis.
  bool continue_with(Eigen::VectorXd direction);

  int steps() const { return steps_; }
  int capacity() const { return static_cast<int>(alpha_.size()); }
  /// Whether step() may be called: room left and a next basis vector available.
  bool can_step() const { return has_next_ && steps_ < capacity(); }
  /// The first steps() basis vectors (n x steps).
  auto basis() const { return basis_.matrix().leftCols(steps_); }
  /// A times the basis (n x steps); only with keep_products.
  auto products() const { return products_.matrix().leftCols(steps_); }
  /// T's diagonal (size steps) and off-diagonal (size steps - 1).
  Eigen::VectorXd alpha() const { return alpha_.head(steps_); }
  Eigen::VectorXd beta() const { return beta_.head(steps_ > 0 ? steps_ - 1 : 0); }
  /// Norm of the part of A q_last outside the basis (the next beta); 0 after a breakdown.
  double next_beta() const { return next_beta_; }
  /// Hands the basis and products (keep_products only) to a KrylovBasis; the process then has
  /// no steps left to take.
  std::shared_ptr<const KrylovBasis> release_basis();

 private:
  const OperatorRef& op_;
  bool keep_products_;
  ColumnStore basis_;         // n x (capacity + 1): the next vector waits in column steps_
  ColumnStore products_;      // n x capacity, or empty
  Eigen::VectorXd work_;      // the product of the current step, reused
  Eigen::VectorXd alpha_;
  Eigen::VectorXd beta_;
  int steps_ = 0;
  bool has_next_ = true;
  double next_beta_ = 0.0;
  double scale_ = 0.0;        // largest |alpha| or beta seen, to judge a breakdown
};

LanczosResult lanczos(const OperatorRef& op, const Eigen::Ref<const Eigen::VectorXd>& start, int m);
}  // namespace detail

/// m steps of Lanczos from `start` (any nonzero length-n vector; it is normalised), 1 <= m <= n,
/// re-orthogonalising every vector against all previous ones (twice when the first pass cancelled).
template <class Op>
LanczosResult lanczos(const Op& op, const Eigen::Ref<const Eigen::VectorXd>& start, int m) {
  return detail::lanczos(detail::OperatorRef(op), start, m);
}

}  // namespace curvtrack::linalg
