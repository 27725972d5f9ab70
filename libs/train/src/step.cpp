#include "curvtrack/train/step.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

namespace curvtrack::train {

double global_norm(const std::vector<at::Tensor>& tensors) {
  double sum = 0;
  for (const auto& t : tensors) {
    if (t.defined()) sum += t.detach().to(at::kDouble).pow(2).sum().item<double>();
  }
  return std::sqrt(sum);
}

StepResult train_step(models::Network& network, Optimizer& optimizer, const at::Tensor& inputs,
                      const at::Tensor& labels, double lr, double momentum, models::Loss loss_kind,
                      const GradientHook& gradient) {
  auto parameters = network.parameters();
  for (auto& p : parameters) {
    if (p.grad().defined()) p.mutable_grad() = at::Tensor();
  }
  at::Tensor logits = network.forward(inputs);
  at::Tensor loss = models::mean_loss(loss_kind, logits, labels);
  StepResult result;
  result.accuracy = models::correct_count(logits, labels).item<double>() / static_cast<double>(logits.size(0));
  if (gradient) {
    std::vector<at::Tensor> pieces = gradient(loss, result.accuracy, logits.size(0));
    for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i].mutable_grad() = pieces.at(i);
  } else {
    loss.backward();
  }
  result.loss = loss.item<double>();
  std::vector<at::Tensor> gradients;
  for (const auto& p : parameters) gradients.push_back(p.grad());
  result.gradient_norm = global_norm(gradients);
  optimizer.step(lr, momentum);
  return result;
}

namespace {

// Floating-point buffers (BatchNorm running statistics) replaced by their mean over the ranks.
void average_buffers(models::Network& network, const DataParallel& parallel) {
  c10::NoGradGuard no_grad;
  for (auto& buffer : network.buffers()) {
    if (!buffer.is_floating_point()) continue;
    at::Tensor total = buffer.detach().clone();
    parallel.sum(total);
    buffer.copy_(total / static_cast<double>(parallel.ranks));
  }
}

}  // namespace

StepResult train_step_shared(models::Network& network, Optimizer& optimizer, const at::Tensor& inputs,
                             const at::Tensor& labels, std::int64_t batch_examples, const DataParallel& parallel,
                             double lr, double momentum, models::Loss loss_kind) {
  auto parameters = network.parameters();
  for (auto& p : parameters) {
    if (p.grad().defined()) p.mutable_grad() = at::Tensor();
  }
  at::Tensor logits = network.forward(inputs);
  // This share's part of the whole batch's mean loss: summed over ranks it is that mean.
  at::Tensor loss = models::summed_loss(loss_kind, logits, labels) / static_cast<double>(batch_examples);
  loss.backward();
  at::Tensor correct = models::correct_count(logits, labels);

  // One collective: every gradient, then the loss and the count of correct answers.
  std::vector<at::Tensor> pieces;
  for (const auto& p : parameters) {
    pieces.push_back((p.grad().defined() ? p.grad() : at::zeros_like(p)).reshape({-1}).to(at::kDouble));
  }
  pieces.push_back(loss.detach().reshape({1}).to(at::kDouble));
  pieces.push_back(correct.reshape({1}));
  at::Tensor packed = at::cat(pieces);
  parallel.sum(packed);

  std::int64_t offset = 0;
  std::vector<at::Tensor> gradients;
  for (auto& p : parameters) {
    at::Tensor gradient = packed.slice(0, offset, offset + p.numel()).reshape(p.sizes()).to(p.options());
    offset += p.numel();
    p.mutable_grad() = gradient;
    gradients.push_back(gradient);
  }
  StepResult result;
  result.loss = packed[offset].item<double>();
  result.accuracy = packed[offset + 1].item<double>() / static_cast<double>(batch_examples);
  result.gradient_norm = global_norm(gradients);
  optimizer.step(lr, momentum);
  average_buffers(network, parallel);
  return result;
}

Evaluation evaluate(models::Network& network, const at::Tensor& inputs, const at::Tensor& labels,
                    std::int64_t batch_size, bool restore_training, models::Loss loss) {
  c10::NoGradGuard no_grad;
  network.set_training(false);
  double loss_sum = 0, correct = 0;
  const std::int64_t n = inputs.size(0);
  for (std::int64_t begin = 0; begin < n; begin += batch_size) {
    std::int64_t end = std::min(n, begin + batch_size);
    at::Tensor logits = network.forward(inputs.slice(0, begin, end));
    at::Tensor batch_labels = labels.slice(0, begin, end);
    loss_sum += models::summed_loss(loss, logits, batch_labels).item<double>();
    correct += models::correct_count(logits, batch_labels).item<double>();
  }
  network.set_training(restore_training);
  return {loss_sum / static_cast<double>(n), correct / static_cast<double>(n)};
}

}  // namespace curvtrack::train
