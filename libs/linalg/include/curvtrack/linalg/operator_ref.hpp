#pragma once
// Type erasure for the operator concept (Spectra's: Scalar, rows(), cols(), perform_op), so the
// algorithms are compiled once in src/ and the public templates are one-line forwards.

#include <Eigen/Core>
#include <cstdint>
#include <type_traits>

namespace curvtrack::linalg::detail {

/// A non-owning, product-counting view of any symmetric operator; the operator must outlive it.
class OperatorRef {
 public:
  using Scalar = double;

  /// Wraps `op`; throws std::invalid_argument when it is not square.
  template <class Op, class = std::enable_if_t<!std::is_same_v<std::decay_t<Op>, OperatorRef>>>
  explicit OperatorRef(const Op& op)
      : rows_(op.rows()), cols_(op.cols()), object_(&op), apply_(&apply<Op>) {
    check_square();
  }

  /// Dimension n of the operator (rows).
  Eigen::Index rows() const { return rows_; }
  /// Dimension n of the operator (columns).
  Eigen::Index cols() const { return cols_; }
  /// y = A x for x, y of length n; counts one product.
  void perform_op(const double* x, double* y) const {
    apply_(object_, x, y);
    ++products_;
  }
  /// Products made through this view so far.
  std::int64_t products() const { return products_; }

 private:
  template <class Op>
  static void apply(const void* object, const double* x, double* y) {
    static_cast<const Op*>(object)->perform_op(x, y);
  }
  void check_square() const;

  Eigen::Index rows_;
  Eigen::Index cols_;
  const void* object_;
  void (*apply_)(const void*, const double*, double*);
  mutable std::int64_t products_ = 0;
};

}  // namespace curvtrack::linalg::detail
