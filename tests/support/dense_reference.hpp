#pragma once
// Reference Hessians built without the CurvatureOperator code path, for tests.

#include <ATen/core/Tensor.h>

#include <Eigen/Core>

#include "curvtrack/models/network.hpp"

namespace curvtrack::testing {

/// Mean cross-entropy gradient by one plain (first-order) backward pass.
Eigen::VectorXd plain_gradient(models::Network& network, const at::Tensor& inputs,
                               const at::Tensor& labels);

/// Dense Hessian by central finite differences of plain_gradient (float64 networks).
Eigen::MatrixXd finite_difference_hessian(models::Network& network, const at::Tensor& inputs,
                                          const at::Tensor& labels, double step);

/// Dense Hessian row by row: row i is the gradient of the scalar gradient component g_i.
Eigen::MatrixXd row_by_row_hessian(models::Network& network, const at::Tensor& inputs,
                                   const at::Tensor& labels);

/// Analytic Hessian of softmax regression (a single Linear layer, weight then bias) with
/// mean cross-entropy: mean over examples of (diag(p) - p p^T) kron [x;1][x;1]^T, reordered.
Eigen::MatrixXd softmax_regression_hessian(const Eigen::MatrixXd& weight, const Eigen::VectorXd& bias,
                                           const Eigen::MatrixXd& inputs);

/// Dense matrix of an operator, column by column.
template <class Op>
Eigen::MatrixXd dense_from_operator(const Op& op) {
  Eigen::MatrixXd dense(op.rows(), op.cols());
  Eigen::VectorXd unit = Eigen::VectorXd::Zero(op.cols());
  for (Eigen::Index j = 0; j < op.cols(); ++j) {
    unit[j] = 1.0;
    op.perform_op(unit.data(), dense.col(j).data());
    unit[j] = 0.0;
  }
  return dense;
}

}  // namespace curvtrack::testing
