#include "curvtrack/curvature/curvature_operator.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include <random>
#include <stdexcept>

#include "curvtrack/core/errors.hpp"

namespace curvtrack::curvature {

const core::NamedValues<OperatorKind>& operator_kind_names() {
  static const core::NamedValues<OperatorKind> names = {{OperatorKind::kHessian, "hessian"},
                                                        {OperatorKind::kGgn, "ggn"},
                                                        {OperatorKind::kEmpiricalFisher, "empirical-fisher"}};
  return names;
}

bool positive_semidefinite(OperatorKind kind) { return kind != OperatorKind::kHessian; }

at::Tensor flatten(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> pieces;
  pieces.reserve(tensors.size());
  for (const auto& tensor : tensors) pieces.push_back(tensor.reshape({-1}));
  return at::cat(pieces);
}

namespace {

std::vector<at::Tensor> selected_parameters(models::Network& network, const std::vector<std::size_t>& indices) {
  std::vector<at::Tensor> all = network.parameters();
  if (indices.empty()) return all;
  std::vector<at::Tensor> selected;
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] >= all.size() || (k > 0 && indices[k] <= indices[k - 1])) {
      throw std::invalid_argument("curvature operator: parameter indices must be ascending and below " +
                                  std::to_string(all.size()));
    }
    selected.push_back(all[indices[k]]);
  }
  return selected;
}

}  // namespace

CurvatureOperator::CurvatureOperator(models::Network& network, const at::Tensor& inputs, const at::Tensor& targets,
                                     OperatorOptions options)
    : network_(network), options_(std::move(options)), parameters_(selected_parameters(network, options_.parameters)),
      dtype_(at::kFloat), device_(at::kCPU) {
  if (parameters_.empty()) throw core::UsageError("the model has no trainable parameters");
  if (options_.batch_size <= 0) {
    throw core::UsageError("curvature batch size must be positive, got " + std::to_string(options_.batch_size));
  }
  if (inputs.size(0) != targets.size(0) || inputs.size(0) == 0) {
    throw core::UsageError("probe set needs as many labels as inputs and at least one example");
  }
  if (options_.sum_over_ranks && options_.total_examples < inputs.size(0)) {
    throw core::UsageError("curvature over ranks: the whole probe set (" + std::to_string(options_.total_examples) +
                           " examples) is smaller than this rank's share (" + std::to_string(inputs.size(0)) + ")");
  }
  dtype_ = parameters_.front().scalar_type();
  device_ = parameters_.front().device();
  for (auto& parameter : parameters_) {
    parameter.requires_grad_(true);
    size_ += parameter.numel();
  }
  examples_ = options_.sum_over_ranks ? options_.total_examples : inputs.size(0);

  at::Tensor gradient_sum = at::zeros({size_}, at::TensorOptions().dtype(at::kDouble).device(device_));
  const std::int64_t local_examples = inputs.size(0);
  for (std::int64_t begin = 0; begin < local_examples; begin += options_.batch_size) {
    std::int64_t end = std::min(local_examples, begin + options_.batch_size);
    Batch batch;
    batch.inputs = inputs.slice(0, begin, end).to(device_, dtype_);
    batch.targets = targets.slice(0, begin, end).to(device_);
    batch.weight = static_cast<double>(end - begin) / static_cast<double>(examples_);
    BatchGradient gradient = build_graph(batch, options_.cache_graph);
    loss_ += gradient.loss;  // weighted batch losses add up to the probe-set mean
    gradient_sum += gradient.flat_gradient.detach().to(at::kDouble);
    batches_.push_back(std::move(batch));
  }
  if (options_.sum_over_ranks) {
    // One collective for both: the gradient with the loss appended.
    at::Tensor packed = at::cat({gradient_sum, at::full({1}, loss_, gradient_sum.options())});
    options_.sum_over_ranks(packed);
    gradient_sum = packed.slice(0, 0, size_);
    loss_ = packed[size_].item<double>();
  }
  at::Tensor host = gradient_sum.cpu().contiguous();
  gradient_ = Eigen::Map<const Eigen::VectorXd>(host.data_ptr<double>(), size_);
}

std::vector<at::Tensor> CurvatureOperator::gradients(const at::Tensor& output, const at::Tensor& grad_output,
                                                     bool keep_graph) const {
  std::vector<at::Tensor> grad_outputs;
  if (grad_output.defined()) grad_outputs.push_back(grad_output);
  auto pieces = torch::autograd::grad({output}, parameters_, grad_outputs, /*retain_graph=*/true,
                                      /*create_graph=*/keep_graph, /*allow_unused=*/true);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (!pieces[i].defined()) pieces[i] = at::zeros_like(parameters_[i]);
  }
  return pieces;
}

// The batch's weighted loss and its gradient; with keep_graph, the graph products differentiate
// is stored in the batch.
CurvatureOperator::BatchGradient CurvatureOperator::build_graph(Batch& batch, bool keep_graph) const {
  at::AutoGradMode enable(true);
  at::Tensor outputs = network_.forward(batch.inputs);
  at::Tensor loss = models::mean_loss(options_.loss, outputs, batch.targets) * batch.weight;
  const bool hessian = options_.kind == OperatorKind::kHessian;
  BatchGradient out{loss.item<double>(), flatten(gradients(loss, {}, keep_graph && hessian))};
  if (!keep_graph) return out;
  if (hessian) {
    batch.flat_gradient = out.flat_gradient;
    return out;
  }
  attach_outer_graph(batch, outputs);
  return out;
}

// The graph GGN and Fisher products differentiate: the outputs, a dual variable u, and J^T u.
void CurvatureOperator::attach_outer_graph(Batch& batch, const at::Tensor& outputs) const {
  batch.outputs = outputs;
  batch.dual = at::zeros_like(outputs.detach()).requires_grad_(true);
  batch.dual_product = flatten(gradients(outputs, batch.dual, /*keep_graph=*/true));
}

at::Tensor CurvatureOperator::hessian_product(const Batch& batch, const at::Tensor& vector) const {
  auto products = torch::autograd::grad({batch.flat_gradient}, parameters_, {vector}, /*retain_graph=*/true,
                                        /*create_graph=*/false, /*allow_unused=*/true);
  for (std::size_t i = 0; i < products.size(); ++i) {
    if (!products[i].defined()) products[i] = at::zeros_like(parameters_[i]);
  }
  return flatten(products);
}

// J^T M J v for the batch, M = A_i (GGN) or r_i r_i^T (empirical Fisher) per example, over N.
at::Tensor CurvatureOperator::outer_product(const Batch& batch, const at::Tensor& vector) const {
  auto directional = torch::autograd::grad({batch.dual_product}, {batch.dual}, {vector}, /*retain_graph=*/true,
                                           /*create_graph=*/false, /*allow_unused=*/true);
  at::Tensor jv = directional[0].defined() ? directional[0] : at::zeros_like(batch.dual);
  at::Tensor weighted;
  if (options_.kind == OperatorKind::kGgn) {
    weighted = models::output_hessian_product(options_.loss, batch.outputs, jv);
  } else {
    at::Tensor r = models::output_gradient(options_.loss, batch.outputs, batch.targets);
    weighted = r * (r * jv).sum(1, /*keepdim=*/true);
  }
  return flatten(gradients(batch.outputs, weighted / static_cast<double>(examples_), /*keep_graph=*/false));
}

at::Tensor CurvatureOperator::batch_product(const Batch& batch, const at::Tensor& vector) const {
  if (!options_.cache_graph) {
    Batch rebuilt = batch;
    if (options_.kind == OperatorKind::kHessian) {
      build_graph(rebuilt, /*keep_graph=*/true);
      return hessian_product(rebuilt, vector);
    }
    at::AutoGradMode enable(true);  // no loss gradient: the outer products need only the outputs' graph
    attach_outer_graph(rebuilt, network_.forward(rebuilt.inputs));
    return outer_product(rebuilt, vector);
  }
  return options_.kind == OperatorKind::kHessian ? hessian_product(batch, vector) : outer_product(batch, vector);
}

at::Tensor CurvatureOperator::apply(const at::Tensor& vector) const {
  at::Tensor v = vector.to(device_, dtype_).reshape({size_});
  at::Tensor result = at::zeros({size_}, v.options());
  for (const auto& batch : batches_) result += batch_product(batch, v);
  if (options_.sum_over_ranks) options_.sum_over_ranks(result);
  ++products_;
  return result;
}

void CurvatureOperator::perform_op(const double* x, double* y) const {
  at::Tensor host_x = at::from_blob(const_cast<double*>(x), {size_}, at::kDouble);
  at::Tensor result = apply(host_x).to(at::kCPU, at::kDouble).contiguous();
  std::copy(result.data_ptr<double>(), result.data_ptr<double>() + size_, y);
}

double determinism_gap(const CurvatureOperator& op, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::VectorXd v(op.rows());
  for (Eigen::Index i = 0; i < v.size(); ++i) v[i] = normal(rng);
  Eigen::VectorXd first(op.rows()), second(op.rows());
  op.perform_op(v.data(), first.data());
  op.perform_op(v.data(), second.data());
  return (first - second).cwiseAbs().maxCoeff();
}

}  // namespace curvtrack::curvature
