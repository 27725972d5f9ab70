#include "curvtrack/linalg/dense_operator.hpp"

#include <stdexcept>
#include <string>

#include "curvtrack/linalg/operator_ref.hpp"

namespace curvtrack::linalg {

DenseOperator::DenseOperator(Eigen::MatrixXd matrix) : matrix_(std::move(matrix)) {
  if (matrix_.rows() != matrix_.cols()) {
    throw std::invalid_argument("DenseOperator: matrix is " + std::to_string(matrix_.rows()) + " x " +
                                std::to_string(matrix_.cols()) + ", expected square");
  }
  const double asym = (matrix_ - matrix_.transpose()).cwiseAbs().maxCoeff();
  if (matrix_.size() > 0 && asym > 1e-12 * matrix_.cwiseAbs().maxCoeff()) {
    throw std::invalid_argument("DenseOperator: matrix is not symmetric (max |A - A^T| = " +
                                std::to_string(asym) + ")");
  }
}

void DenseOperator::perform_op(const double* x, double* y) const {
  Eigen::Map<const Eigen::VectorXd> in(x, matrix_.cols());
  Eigen::Map<Eigen::VectorXd> out(y, matrix_.rows());
  out.noalias() = matrix_ * in;
  ++products_;
}

namespace detail {

void OperatorRef::check_square() const {
  if (rows_ != cols_ || rows_ < 1) {
    throw std::invalid_argument("operator must be square and non-empty, got " + std::to_string(rows_) +
                                " x " + std::to_string(cols_));
  }
}

}  // namespace detail
}  // namespace curvtrack::linalg
