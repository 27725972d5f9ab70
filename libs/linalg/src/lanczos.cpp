#include "curvtrack/linalg/lanczos.hpp"

#include "projection.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace curvtrack::linalg::detail {
namespace {

// beta below this fraction of the largest |alpha| or beta seen means an invariant subspace.
constexpr double kBreakdown = 1e-12;

// Removes from w its components along the columns of q by classical Gram-Schmidt; returns the
// norm left. One pass loses orthogonality in proportion to the cancellation in it; when w shrank
// below 1/sqrt(2) of its length a second pass restores it to rounding ("twice is enough",
// Daniel-Gragg-Kaufman-Stewart).
double orthogonalise(const Eigen::Ref<const Eigen::MatrixXd>& q, Eigen::VectorXd& w) {
  double norm = w.norm();
  for (int pass = 0; pass < 2 && q.cols() > 0; ++pass) {
    const double before = norm;
    subtract_projection(q, w);
    norm = w.norm();
    if (norm > before * M_SQRT1_2) break;
  }
  return norm;
}

}  // namespace

LanczosProcess::LanczosProcess(const OperatorRef& op, const Eigen::Ref<const Eigen::VectorXd>& start,
                               int capacity, bool keep_products)
    : op_(op), keep_products_(keep_products) {
  const Eigen::Index n = op.rows();
  if (start.size() != n) {
    throw std::invalid_argument("lanczos: start vector has length " + std::to_string(start.size()) +
                                ", expected n = " + std::to_string(n));
  }
  if (capacity < 1 || capacity > n) {
    throw std::invalid_argument("lanczos: m = " + std::to_string(capacity) + " must satisfy 1 <= m <= n = " +
                                std::to_string(n));
  }
  const double start_norm = start.norm();
  if (!(start_norm > 0) || !std::isfinite(start_norm)) {
    throw std::invalid_argument("lanczos: start vector must be nonzero and finite");
  }
  basis_ = ColumnStore(n, static_cast<Eigen::Index>(capacity) + 1);
  if (keep_products_) products_ = ColumnStore(n, capacity);
  work_.resize(n);
  alpha_.resize(capacity);
  beta_.resize(capacity);
  basis_.matrix().col(0) = start / start_norm;
}

bool LanczosProcess::step() {
  if (!can_step()) throw std::logic_error("lanczos: step() without room or without a next vector");
  const int j = steps_;
  auto basis = basis_.matrix();
  Eigen::VectorXd& w = work_;
  op_.perform_op(basis.col(j).data(), w.data());
  if (keep_products_) products_.matrix().col(j) = w;
  alpha_[j] = basis.col(j).dot(w);
  // The three-term recurrence first: it removes the large components, so that the full pass
  // below only cleans up rounding and rarely cancels enough to need its second pass.
  w -= alpha_[j] * basis.col(j);
  if (j > 0) w -= beta_[j - 1] * basis.col(j - 1);
  ++steps_;
  next_beta_ = orthogonalise(basis.leftCols(steps_), w);
  scale_ = std::max({scale_, std::abs(alpha_[j]), next_beta_});
  beta_[j] = next_beta_;
  has_next_ = next_beta_ > kBreakdown * scale_;
  if (!has_next_) {
    next_beta_ = 0.0;
    beta_[j] = 0.0;
    return false;
  }
  basis.col(steps_) = w / next_beta_;
  return true;
}

std::shared_ptr<const KrylovBasis> LanczosProcess::release_basis() {
  if (!keep_products_) throw std::logic_error("lanczos: release_basis() of a run that did not keep its products");
  auto out = std::make_shared<const KrylovBasis>(std::move(basis_), std::move(products_), steps_);
  steps_ = 0;
  has_next_ = false;
  return out;
}

bool LanczosProcess::continue_with(Eigen::VectorXd direction) {
  const double before = direction.norm();
  auto basis = basis_.matrix();
  const double norm = orthogonalise(basis.leftCols(steps_), direction);
  if (!(norm > kBreakdown * before) || !std::isfinite(norm)) return false;
  basis.col(steps_) = direction / norm;
  has_next_ = true;
  return true;
}

LanczosResult lanczos(const OperatorRef& op, const Eigen::Ref<const Eigen::VectorXd>& start, int m) {
  LanczosProcess process(op, start, m, /*keep_products=*/false);
  LanczosResult result;
  while (process.can_step()) {
    if (!process.step()) result.breakdown = process.steps() < m;
  }
  result.steps = process.steps();
  result.alpha = process.alpha();
  result.beta = process.beta();
  result.products = op.products();
  return result;
}

}  // namespace curvtrack::linalg::detail
