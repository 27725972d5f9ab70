#pragma once
// The Hessian of a training step's mean batch loss as a linear operator on that step's own graph:
// the step's gradient is taken once with create_graph, and each product H v is one more backward
// pass through it (no forward, no gradient recomputed). Products are in the model's dtype; the
// vectors are double on the host (the linalg operator concept).

#include <ATen/core/Tensor.h>

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace curvtrack::curvature {

/// H v of the loss `loss` over `parameters`, on the graph of one forward pass.
class StepGraphOperator {
 public:
  using Scalar = double;

  /// Differentiates `loss` (a scalar with its graph) with create_graph; keeps the graph.
  StepGraphOperator(std::vector<at::Tensor> parameters, const at::Tensor& loss);

  Eigen::Index rows() const { return size_; }
  Eigen::Index cols() const { return size_; }
  /// y = H x (double host vectors, products in the model dtype).
  void perform_op(const double* x, double* y) const;
  /// Products performed so far.
  std::int64_t products() const { return products_; }
  /// The gradient, one detached tensor per parameter: what loss.backward() would have stored.
  std::vector<at::Tensor> detached_gradient() const;
  /// The gradient, flattened (host, double).
  const Eigen::VectorXd& gradient() const { return gradient_; }
  /// The dtype of the products.
  c10::ScalarType dtype() const { return dtype_; }

 private:
  std::vector<at::Tensor> parameters_;
  std::vector<at::Tensor> pieces_;  // the gradient with its graph, per parameter
  at::Tensor flat_;                 // the same, flattened
  Eigen::VectorXd gradient_;
  Eigen::Index size_ = 0;
  c10::ScalarType dtype_;
  mutable std::int64_t products_ = 0;
};

}  // namespace curvtrack::curvature
