#include "dense_reference.hpp"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

namespace curvtrack::testing {
namespace {

at::Tensor mean_loss(models::Network& network, const at::Tensor& inputs, const at::Tensor& labels) {
  return at::cross_entropy_loss(network.forward(inputs), labels);
}

Eigen::VectorXd to_eigen(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.reshape({-1}).to(at::kDouble));
  at::Tensor all = at::cat(flat).contiguous();
  return Eigen::Map<const Eigen::VectorXd>(all.data_ptr<double>(), all.numel());
}

}  // namespace

Eigen::VectorXd plain_gradient(models::Network& network, const at::Tensor& inputs,
                               const at::Tensor& labels) {
  auto parameters = network.parameters();
  auto gradients = torch::autograd::grad({mean_loss(network, inputs, labels)}, parameters);
  return to_eigen(gradients);
}

Eigen::MatrixXd finite_difference_hessian(models::Network& network, const at::Tensor& inputs,
                                          const at::Tensor& labels, double step) {
  auto parameters = network.parameters();
  std::int64_t n = 0;
  for (const auto& p : parameters) n += p.numel();
  Eigen::MatrixXd hessian(n, n);
  std::int64_t column = 0;
  for (auto& parameter : parameters) {
    at::Tensor flat = parameter.detach().view({-1});  // shares storage with the parameter
    for (std::int64_t i = 0; i < flat.numel(); ++i, ++column) {
      double original = flat[i].item<double>();
      flat[i].fill_(original + step);
      Eigen::VectorXd plus = plain_gradient(network, inputs, labels);
      flat[i].fill_(original - step);
      Eigen::VectorXd minus = plain_gradient(network, inputs, labels);
      flat[i].fill_(original);
      hessian.col(column) = (plus - minus) / (2.0 * step);
    }
  }
  return hessian;
}

Eigen::MatrixXd row_by_row_hessian(models::Network& network, const at::Tensor& inputs,
                                   const at::Tensor& labels) {
  auto parameters = network.parameters();
  auto gradients = torch::autograd::grad({mean_loss(network, inputs, labels)}, parameters, {},
                                         /*retain_graph=*/true, /*create_graph=*/true);
  std::int64_t n = 0;
  for (const auto& p : parameters) n += p.numel();
  Eigen::MatrixXd hessian(n, n);
  std::int64_t row = 0;
  for (const auto& gradient : gradients) {
    at::Tensor flat = gradient.reshape({-1});
    for (std::int64_t i = 0; i < flat.numel(); ++i, ++row) {
      auto second = torch::autograd::grad({flat[i]}, parameters, {}, /*retain_graph=*/true,
                                          /*create_graph=*/false, /*allow_unused=*/true);
      for (std::size_t k = 0; k < second.size(); ++k) {
        if (!second[k].defined()) second[k] = at::zeros_like(parameters[k]);
      }
      hessian.row(row) = to_eigen(second).transpose();
    }
  }
  return hessian;
}

Eigen::MatrixXd softmax_regression_hessian(const Eigen::MatrixXd& weight, const Eigen::VectorXd& bias,
                                           const Eigen::MatrixXd& inputs) {
  const Eigen::Index classes = weight.rows(), features = weight.cols(), examples = inputs.rows();
  const Eigen::Index n = classes * features + classes;
  // Index of weight (c, d) in the flat vector (row-major weight, then bias).
  auto w_index = [&](Eigen::Index c, Eigen::Index d) { return c * features + d; };
  auto b_index = [&](Eigen::Index c) { return classes * features + c; };
  Eigen::MatrixXd hessian = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index e = 0; e < examples; ++e) {
    Eigen::VectorXd x = inputs.row(e).transpose();
    Eigen::VectorXd logits = weight * x + bias;
    Eigen::VectorXd p = (logits.array() - logits.maxCoeff()).exp();
    p /= p.sum();
    Eigen::MatrixXd curvature = Eigen::MatrixXd(p.asDiagonal()) - p * p.transpose();
    Eigen::VectorXd extended(features + 1);
    extended << x, 1.0;
    for (Eigen::Index c = 0; c < classes; ++c) {
      for (Eigen::Index c2 = 0; c2 < classes; ++c2) {
        for (Eigen::Index d = 0; d <= features; ++d) {
          for (Eigen::Index d2 = 0; d2 <= features; ++d2) {
            Eigen::Index i = d < features ? w_index(c, d) : b_index(c);
            Eigen::Index j = d2 < features ? w_index(c2, d2) : b_index(c2);
            hessian(i, j) += curvature(c, c2) * extended[d] * extended[d2];
          }
        }
      }
    }
  }
  return hessian / static_cast<double>(examples);
}

}  // namespace curvtrack::testing
