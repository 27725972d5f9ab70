#include "curvtrack/curvature/hvp_operator.hpp"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <ATen/core/grad_mode.h>

#include <random>

#include "curvtrack/core/errors.hpp"

namespace curvtrack::curvature {

at::Tensor flatten(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> pieces;
  pieces.reserve(tensors.size());
  for (const auto& tensor : tensors) pieces.push_back(tensor.reshape({-1}));
  return at::cat(pieces);
}

HvpOperator::HvpOperator(models::Network& network, const at::Tensor& inputs,
                         const at::Tensor& labels, HvpOptions options)
    : network_(network), options_(options), parameters_(network.parameters()),
      dtype_(at::kFloat), device_(at::kCPU) {
  if (parameters_.empty()) throw core::UsageError("the model has no trainable parameters");
  if (options_.batch_size <= 0) {
    throw core::UsageError("HVP batch size must be positive, got " + std::to_string(options_.batch_size));
  }
  if (inputs.size(0) != labels.size(0) || inputs.size(0) == 0) {
    throw core::UsageError("probe set needs as many labels as inputs and at least one example");
  }
  if (options_.sum_over_ranks && options_.total_examples < inputs.size(0)) {
    throw core::UsageError("HVP over ranks: the whole probe set (" + std::to_string(options_.total_examples) +
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
    batch.labels = labels.slice(0, begin, end).to(device_, at::kLong);
    batch.weight = static_cast<double>(end - begin) / static_cast<double>(examples_);
    WeightedGradient weighted = weighted_gradient(batch, options_.cache_graph);
    loss_ += weighted.loss;  // weighted batch losses add up to the probe-set mean
    gradient_sum += weighted.flat_gradient.detach().to(at::kDouble);
    if (options_.cache_graph) batch.flat_gradient = weighted.flat_gradient;
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

HvpOperator::WeightedGradient HvpOperator::weighted_gradient(const Batch& batch,
                                                             bool create_graph) const {
  at::AutoGradMode enable(true);
  at::Tensor logits = network_.forward(batch.inputs);
  at::Tensor loss = at::cross_entropy_loss(logits, batch.labels) * batch.weight;
  auto gradients = torch::autograd::grad({loss}, parameters_, {}, /*retain_graph=*/create_graph,
                                         /*create_graph=*/create_graph, /*allow_unused=*/true);
  for (std::size_t i = 0; i < gradients.size(); ++i) {
    if (!gradients[i].defined()) gradients[i] = at::zeros_like(parameters_[i]);
  }
  return {loss.item<double>(), flatten(gradients)};
}

at::Tensor HvpOperator::batch_product(const Batch& batch, const at::Tensor& vector) const {
  at::Tensor flat_gradient = batch.flat_gradient.defined()
                                 ? batch.flat_gradient
                                 : weighted_gradient(batch, /*create_graph=*/true).flat_gradient;
  auto products = torch::autograd::grad({flat_gradient}, parameters_, {vector},
                                        /*retain_graph=*/true, /*create_graph=*/false,
                                        /*allow_unused=*/true);
  for (std::size_t i = 0; i < products.size(); ++i) {
    if (!products[i].defined()) products[i] = at::zeros_like(parameters_[i]);
  }
  return flatten(products);
}

at::Tensor HvpOperator::apply(const at::Tensor& vector) const {
  at::Tensor v = vector.to(device_, dtype_).reshape({size_});
  at::Tensor result = at::zeros({size_}, v.options());
  for (const auto& batch : batches_) result += batch_product(batch, v);
  if (options_.sum_over_ranks) options_.sum_over_ranks(result);
  ++products_;
  return result;
}

void HvpOperator::perform_op(const double* x, double* y) const {
  at::Tensor host_x = at::from_blob(const_cast<double*>(x), {size_}, at::kDouble);
  at::Tensor result = apply(host_x).to(at::kCPU, at::kDouble).contiguous();
  std::copy(result.data_ptr<double>(), result.data_ptr<double>() + size_, y);
}

double determinism_gap(const HvpOperator& op, std::uint64_t seed) {
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
