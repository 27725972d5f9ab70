#include "dense_reference.hpp"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <stdexcept>

namespace curvtrack::testing {
namespace {

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

at::Tensor mean_loss(models::Network& network, const at::Tensor& inputs, const at::Tensor& targets,
                     models::Loss loss) {
  return reference_losses(loss, network.forward(inputs), targets).mean();
}

Eigen::VectorXd to_eigen(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.reshape({-1}).to(at::kDouble));
  at::Tensor all = at::cat(flat).contiguous();
  return Eigen::Map<const Eigen::VectorXd>(all.data_ptr<double>(), all.numel());
}

// d(scalar)/d(parameters), flat, by one first-order backward pass (unused parameters give zeros).
Eigen::VectorXd first_order_gradient(const at::Tensor& scalar, const std::vector<at::Tensor>& parameters,
                                     bool retain_graph) {
  auto gradients = torch::autograd::grad({scalar}, parameters, {}, retain_graph, /*create_graph=*/false,
                                         /*allow_unused=*/true);
  for (std::size_t k = 0; k < gradients.size(); ++k) {
    if (!gradients[k].defined()) gradients[k] = at::zeros_like(parameters[k]);
  }
  return to_eigen(gradients);
}

Eigen::Index parameter_count(const std::vector<at::Tensor>& parameters) {
  Eigen::Index n = 0;
  for (const auto& p : parameters) n += p.numel();
  return n;
}

}  // namespace

Eigen::MatrixXd eigen_matrix(const at::Tensor& tensor) {
  at::Tensor t = tensor.detach().to(at::kCPU, at::kDouble).contiguous();
  if (t.dim() == 1) t = t.unsqueeze(1);
  return Eigen::Map<const RowMajor>(t.data_ptr<double>(), t.size(0), t.size(1));
}

at::Tensor reference_losses(models::Loss loss, const at::Tensor& outputs, const at::Tensor& targets) {
  const bool labels = !at::isFloatingType(targets.scalar_type());
  if (loss == models::Loss::kCrossEntropy) {
    if (!labels) throw std::invalid_argument("reference cross-entropy needs int64 labels");
    at::Tensor picked = outputs.gather(1, targets.to(at::kLong).unsqueeze(1)).squeeze(1);
    return at::logsumexp(outputs, {1}) - picked;
  }
  at::Tensor rows = labels ? at::zeros_like(outputs.detach()).scatter_(1, targets.to(at::kLong).unsqueeze(1), 1.0)
                           : targets.to(outputs.scalar_type());
  return 0.5 * (outputs - rows).pow(2).sum(1);
}

double reference_mean_loss(models::Network& network, const at::Tensor& inputs, const at::Tensor& targets,
                           models::Loss loss) {
  torch::autograd::AutoGradMode no_grad(false);
  return mean_loss(network, inputs, targets, loss).item<double>();
}

Eigen::VectorXd plain_gradient(models::Network& network, const at::Tensor& inputs, const at::Tensor& targets,
                               models::Loss loss) {
  auto parameters = network.parameters();
  return first_order_gradient(mean_loss(network, inputs, targets, loss), parameters, /*retain_graph=*/false);
}

Eigen::MatrixXd finite_difference_hessian(models::Network& network, const at::Tensor& inputs,
                                          const at::Tensor& targets, double step, models::Loss loss) {
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
      Eigen::VectorXd plus = plain_gradient(network, inputs, targets, loss);
      flat[i].fill_(original - step);
      Eigen::VectorXd minus = plain_gradient(network, inputs, targets, loss);
      flat[i].fill_(original);
      hessian.col(column) = (plus - minus) / (2.0 * step);
    }
  }
  return hessian;
}

Eigen::MatrixXd row_by_row_hessian(models::Network& network, const at::Tensor& inputs, const at::Tensor& targets,
                                   models::Loss loss) {
  auto parameters = network.parameters();
  auto gradients = torch::autograd::grad({mean_loss(network, inputs, targets, loss)}, parameters, {},
                                         /*retain_graph=*/true, /*create_graph=*/true);
  std::int64_t n = 0;
  for (const auto& p : parameters) n += p.numel();
  Eigen::MatrixXd hessian(n, n);
  std::int64_t row = 0;
  for (const auto& gradient : gradients) {
    at::Tensor flat = gradient.reshape({-1});
    for (std::int64_t i = 0; i < flat.numel(); ++i, ++row) {
      hessian.row(row) = first_order_gradient(flat[i], parameters, /*retain_graph=*/true).transpose();
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

std::vector<Eigen::MatrixXd> per_example_jacobians(models::Network& network, const at::Tensor& inputs) {
  auto parameters = network.parameters();
  const Eigen::Index n = parameter_count(parameters);
  std::vector<Eigen::MatrixXd> jacobians;
  for (std::int64_t i = 0; i < inputs.size(0); ++i) {
    at::Tensor output = network.forward(inputs.slice(0, i, i + 1));
    const std::int64_t classes = output.size(1);
    Eigen::MatrixXd jacobian(classes, n);
    for (std::int64_t c = 0; c < classes; ++c) {
      jacobian.row(c) = first_order_gradient(output[0][c], parameters, /*retain_graph=*/true).transpose();
    }
    jacobians.push_back(std::move(jacobian));
  }
  return jacobians;
}

Eigen::MatrixXd per_example_gradients(models::Network& network, const at::Tensor& inputs, const at::Tensor& targets,
                                      models::Loss loss) {
  auto parameters = network.parameters();
  Eigen::MatrixXd gradients(inputs.size(0), parameter_count(parameters));
  for (std::int64_t i = 0; i < inputs.size(0); ++i) {
    at::Tensor example_loss =
        reference_losses(loss, network.forward(inputs.slice(0, i, i + 1)), targets.slice(0, i, i + 1)).sum();
    gradients.row(i) = first_order_gradient(example_loss, parameters, /*retain_graph=*/false).transpose();
  }
  return gradients;
}

Eigen::MatrixXd output_rows(models::Network& network, const at::Tensor& inputs) {
  torch::autograd::AutoGradMode no_grad(false);
  return eigen_matrix(network.forward(inputs));
}

Eigen::MatrixXd target_rows(const at::Tensor& targets, Eigen::Index classes) {
  if (at::isFloatingType(targets.scalar_type())) return eigen_matrix(targets);
  at::Tensor labels = targets.to(at::kLong).contiguous();
  Eigen::MatrixXd rows = Eigen::MatrixXd::Zero(labels.numel(), classes);
  for (Eigen::Index i = 0; i < rows.rows(); ++i) rows(i, labels.data_ptr<std::int64_t>()[i]) = 1.0;
  return rows;
}

Eigen::MatrixXd output_space_hessian(models::Loss loss, const Eigen::VectorXd& outputs) {
  if (loss == models::Loss::kMse) return Eigen::MatrixXd::Identity(outputs.size(), outputs.size());
  Eigen::VectorXd p = (outputs.array() - outputs.maxCoeff()).exp();
  p /= p.sum();
  return Eigen::MatrixXd(p.asDiagonal()) - p * p.transpose();
}

Eigen::VectorXd output_space_gradient(models::Loss loss, const Eigen::VectorXd& outputs, const Eigen::VectorXd& target) {
  if (loss == models::Loss::kMse) return outputs - target;
  Eigen::VectorXd p = (outputs.array() - outputs.maxCoeff()).exp();
  return p / p.sum() - target;
}

Eigen::MatrixXd ggn_reference(models::Network& network, const at::Tensor& inputs, models::Loss loss) {
  const std::vector<Eigen::MatrixXd> jacobians = per_example_jacobians(network, inputs);
  const Eigen::MatrixXd outputs = output_rows(network, inputs);
  Eigen::MatrixXd ggn = Eigen::MatrixXd::Zero(jacobians.front().cols(), jacobians.front().cols());
  for (std::size_t i = 0; i < jacobians.size(); ++i) {
    const Eigen::VectorXd f = outputs.row(static_cast<Eigen::Index>(i)).transpose();
    ggn += jacobians[i].transpose() * output_space_hessian(loss, f) * jacobians[i];
  }
  return ggn / static_cast<double>(jacobians.size());
}

Eigen::MatrixXd empirical_fisher_reference(models::Network& network, const at::Tensor& inputs,
                                           const at::Tensor& targets, models::Loss loss) {
  const Eigen::MatrixXd gradients = per_example_gradients(network, inputs, targets, loss);
  return gradients.transpose() * gradients / static_cast<double>(gradients.rows());
}

std::vector<Eigen::Index> flat_positions(models::Network& network, const std::vector<std::size_t>& parameters) {
  auto all = network.parameters();
  std::vector<Eigen::Index> offsets(all.size() + 1, 0);
  for (std::size_t k = 0; k < all.size(); ++k) offsets[k + 1] = offsets[k] + all[k].numel();
  std::vector<Eigen::Index> positions;
  for (std::size_t index : parameters) {
    for (Eigen::Index p = offsets.at(index); p < offsets.at(index + 1); ++p) positions.push_back(p);
  }
  return positions;
}

Eigen::MatrixXd principal_submatrix(const Eigen::MatrixXd& matrix, const std::vector<Eigen::Index>& positions) {
  const auto n = static_cast<Eigen::Index>(positions.size());
  Eigen::MatrixXd sub(n, n);
  for (Eigen::Index r = 0; r < n; ++r) {
    for (Eigen::Index c = 0; c < n; ++c) sub(r, c) = matrix(positions[r], positions[c]);
  }
  return sub;
}

}  // namespace curvtrack::testing
