#pragma once
// A dense symmetric matrix behind the operator concept, for tests and benchmarks.

#include <Eigen/Core>
#include <cstdint>

namespace curvtrack::linalg {

/// Dense symmetric operator y = A x that counts its products.
class DenseOperator {
 public:
  using Scalar = double;

  /// Wraps a square symmetric matrix; throws std::invalid_argument otherwise (relative tolerance 1e-12).
  explicit DenseOperator(Eigen::MatrixXd matrix);

  /// Dimension n.
  Eigen::Index rows() const { return matrix_.rows(); }
  /// Dimension n.
  Eigen::Index cols() const { return matrix_.cols(); }
  /// y = A x for x, y of length n; counts one product.
  void perform_op(const double* x, double* y) const;

  /// Products made since construction or the last reset.
  std::int64_t products() const { return products_; }
  /// Sets the product counter back to zero.
  void reset_products() { products_ = 0; }
  /// The wrapped matrix.
  const Eigen::MatrixXd& matrix() const { return matrix_; }

 private:
  Eigen::MatrixXd matrix_;
  mutable std::int64_t products_ = 0;
};

}  // namespace curvtrack::linalg
