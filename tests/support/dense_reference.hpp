#pragma once
// Reference curvature matrices built without the CurvatureOperator code path, for tests: the
// loss is written out here (not models::mean_loss), derivatives come from plain autograd passes
// (one backward per gradient, per example or per output) and matrices are assembled with Eigen.

#include <ATen/core/Tensor.h>

#include <Eigen/Core>
#include <cstddef>
#include <vector>

#include "curvtrack/models/loss.hpp"
#include "curvtrack/models/network.hpp"

namespace curvtrack::testing {

/// A 1-D (as a column) or 2-D tensor as a double matrix.
Eigen::MatrixXd eigen_matrix(const at::Tensor& tensor);

/// Per-example losses [B] of outputs [B, C], written independently of models/loss.cpp:
/// logsumexp(f) - f_y (cross-entropy, int64 labels), or 1/2 ||f - t||^2 with t the one-hot label
/// row or the given float row (mse).
at::Tensor reference_losses(models::Loss loss, const at::Tensor& outputs, const at::Tensor& targets);

/// Mean loss of the network over (inputs, targets), by reference_losses.
double reference_mean_loss(models::Network& network, const at::Tensor& inputs, const at::Tensor& targets,
                           models::Loss loss = models::Loss::kCrossEntropy);

/// Mean-loss gradient by one plain (first-order) backward pass.
Eigen::VectorXd plain_gradient(models::Network& network, const at::Tensor& inputs, const at::Tensor& targets,
                               models::Loss loss = models::Loss::kCrossEntropy);

/// Dense Hessian of the mean loss by central finite differences of plain_gradient (float64 networks).
Eigen::MatrixXd finite_difference_hessian(models::Network& network, const at::Tensor& inputs,
                                          const at::Tensor& targets, double step,
                                          models::Loss loss = models::Loss::kCrossEntropy);

/// Dense Hessian of the mean loss row by row: row i is the gradient of the scalar gradient component g_i.
Eigen::MatrixXd row_by_row_hessian(models::Network& network, const at::Tensor& inputs, const at::Tensor& targets,
                                   models::Loss loss = models::Loss::kCrossEntropy);

/// Per-example Jacobians J_i = d f(x_i) / d theta [C x P], row c by one plain backward pass of
/// output c of a forward pass of example i alone.
std::vector<Eigen::MatrixXd> per_example_jacobians(models::Network& network, const at::Tensor& inputs);

/// Per-example gradients g_i of l_i as the rows of an [N x P] matrix, one plain backward pass each.
Eigen::MatrixXd per_example_gradients(models::Network& network, const at::Tensor& inputs, const at::Tensor& targets,
                                      models::Loss loss);

/// Outputs f(x_i) as the rows of an [N x C] matrix.
Eigen::MatrixXd output_rows(models::Network& network, const at::Tensor& inputs);

/// Target rows t_i [N x C]: one-hot labels (int64 [N]) or the given float rows.
Eigen::MatrixXd target_rows(const at::Tensor& targets, Eigen::Index classes);

/// The loss Hessian in output space at outputs f: diag(p) - p p^T with p = softmax(f)
/// (cross-entropy), or the identity (mse).
Eigen::MatrixXd output_space_hessian(models::Loss loss, const Eigen::VectorXd& outputs);

/// dl/df at outputs f with target row t: softmax(f) - t (cross-entropy) or f - t (mse).
Eigen::VectorXd output_space_gradient(models::Loss loss, const Eigen::VectorXd& outputs, const Eigen::VectorXd& target);

/// G = (1/N) sum_i J_i^T A_i J_i from per_example_jacobians and output_space_hessian (A_i does not
/// depend on the targets).
Eigen::MatrixXd ggn_reference(models::Network& network, const at::Tensor& inputs, models::Loss loss);

/// F = (1/N) sum_i g_i g_i^T from per_example_gradients.
Eigen::MatrixXd empirical_fisher_reference(models::Network& network, const at::Tensor& inputs,
                                           const at::Tensor& targets, models::Loss loss);

/// Positions in the flat parameter vector of the parameters at `parameters` (indices into
/// network.parameters(), ascending), in order.
std::vector<Eigen::Index> flat_positions(models::Network& network, const std::vector<std::size_t>& parameters);

/// The principal submatrix of `matrix` on rows and columns `positions`.
Eigen::MatrixXd principal_submatrix(const Eigen::MatrixXd& matrix, const std::vector<Eigen::Index>& positions);

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
