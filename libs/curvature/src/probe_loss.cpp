#include "curvtrack/curvature/probe_loss.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace curvtrack::curvature {
namespace {

void check_probe_set(const at::Tensor& inputs, const at::Tensor& labels, std::int64_t batch_size) {
  if (batch_size < 1) {
    throw std::invalid_argument("probe loss: batch size must be >= 1, got " + std::to_string(batch_size));
  }
  if (!inputs.defined() || !labels.defined() || inputs.dim() == 0 || inputs.size(0) == 0) {
    throw std::invalid_argument("probe loss: the probe set has no examples");
  }
  if (labels.dim() < 1 || labels.size(0) != inputs.size(0)) {
    throw std::invalid_argument("probe loss: " + std::to_string(inputs.size(0)) + " inputs but labels of shape " +
                                std::to_string(labels.dim() == 0 ? 0 : labels.size(0)) + " (need one per input)");
  }
}

// Copies `source` into `targets` (aligned, same shapes) without autograd.
void copy_into(std::vector<at::Tensor> targets, const std::vector<at::Tensor>& source, const char* what) {
  if (targets.size() != source.size()) {
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(source.size()) + " tensors for " +
                                std::to_string(targets.size()));
  }
  c10::NoGradGuard no_grad;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (!targets[i].sizes().equals(source[i].sizes())) {
      throw std::invalid_argument(std::string(what) + ": tensor " + std::to_string(i) + " has the wrong shape");
    }
    targets[i].copy_(source[i]);
  }
}

std::vector<at::Tensor> detached_copies(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> copies;
  copies.reserve(tensors.size());
  for (const auto& tensor : tensors) copies.push_back(tensor.detach().clone());
  return copies;
}

}  // namespace

double probe_loss(models::Network& network, const at::Tensor& inputs, const at::Tensor& labels,
                  std::int64_t batch_size, models::Loss loss_kind) {
  check_probe_set(inputs, labels, batch_size);
  auto parameters = network.parameters();
  if (parameters.empty()) throw std::invalid_argument("probe loss: the model has no parameters");
  const auto options = parameters.front().options();
  c10::NoGradGuard no_grad;
  const std::int64_t examples = inputs.size(0);
  double total = 0.0;
  for (std::int64_t begin = 0; begin < examples; begin += batch_size) {
    const std::int64_t end = std::min(examples, begin + batch_size);
    at::Tensor x = inputs.slice(0, begin, end).to(options.device(), options.dtype().toScalarType());
    at::Tensor y = labels.slice(0, begin, end).to(options.device());
    total += models::summed_loss(loss_kind, network.forward(x), y).item<double>();
  }
  return total / static_cast<double>(examples);
}

std::pair<double, std::vector<at::Tensor>> probe_loss_and_gradient(models::Network& network,
                                                                   const at::Tensor& inputs,
                                                                   const at::Tensor& labels,
                                                                   std::int64_t batch_size, models::Loss loss_kind) {
  check_probe_set(inputs, labels, batch_size);
  auto parameters = network.parameters();
  if (parameters.empty()) throw std::invalid_argument("probe loss: the model has no parameters");
  for (auto& parameter : parameters) parameter.requires_grad_(true);
  const auto options = parameters.front().options();
  c10::AutoGradMode enable(true);
  const std::int64_t examples = inputs.size(0);
  double total = 0.0;
  std::vector<at::Tensor> gradient;
  for (auto& parameter : parameters) gradient.push_back(at::zeros_like(parameter.detach()));
  for (std::int64_t begin = 0; begin < examples; begin += batch_size) {
    const std::int64_t end = std::min(examples, begin + batch_size);
    const double weight = static_cast<double>(end - begin) / static_cast<double>(examples);
    at::Tensor x = inputs.slice(0, begin, end).to(options.device(), options.dtype().toScalarType());
    at::Tensor y = labels.slice(0, begin, end).to(options.device());
    at::Tensor loss = models::mean_loss(loss_kind, network.forward(x), y);
    auto pieces = torch::autograd::grad({loss}, parameters, {}, /*retain_graph=*/false,
                                        /*create_graph=*/false, /*allow_unused=*/true);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      if (pieces[i].defined()) gradient[i].add_(pieces[i], weight);
    }
    total += loss.item<double>() * static_cast<double>(end - begin);
  }
  return {total / static_cast<double>(examples), std::move(gradient)};
}

void add_to_parameters(models::Network& network, const std::vector<at::Tensor>& direction, double scale) {
  auto parameters = network.parameters();
  if (parameters.size() != direction.size()) {
    throw std::invalid_argument("add_to_parameters: " + std::to_string(direction.size()) + " tensors for " +
                                std::to_string(parameters.size()) + " parameters");
  }
  c10::NoGradGuard no_grad;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    if (!parameters[i].sizes().equals(direction[i].sizes())) {
      throw std::invalid_argument("add_to_parameters: tensor " + std::to_string(i) + " has the wrong shape");
    }
    parameters[i].add_(direction[i].to(parameters[i].options()), scale);
  }
}

std::vector<at::Tensor> snapshot_parameters(models::Network& network) {
  return detached_copies(network.parameters());
}

void restore_parameters(models::Network& network, const std::vector<at::Tensor>& snapshot) {
  copy_into(network.parameters(), snapshot, "restore_parameters");
}

std::vector<at::Tensor> snapshot_buffers(models::Network& network) {
  return detached_copies(network.buffers());
}

void restore_buffers(models::Network& network, const std::vector<at::Tensor>& snapshot) {
  copy_into(network.buffers(), snapshot, "restore_buffers");
}

StateGuard::StateGuard(models::Network& network)
    : network_(network), parameters_(snapshot_parameters(network)), buffers_(snapshot_buffers(network)) {}

StateGuard::~StateGuard() {
  try {
    restore_parameters(network_, parameters_);
    restore_buffers(network_, buffers_);
  } catch (...) {  // shapes match by construction; a destructor must not throw
  }
}

namespace {

// Uniform in [0, 1) from the top 53 bits, the same on every platform.
double unit_uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

at::Tensor host_like(const at::Tensor& like) {
  return at::empty(like.sizes(), at::TensorOptions().dtype(at::kDouble).device(at::kCPU));
}

}  // namespace

at::Tensor seeded_normal_like(const at::Tensor& like, std::mt19937_64& rng) {
  at::Tensor host = host_like(like);
  double* values = host.data_ptr<double>();
  const std::int64_t n = host.numel();
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  for (std::int64_t i = 0; i < n; i += 2) {
    const double u1 = 1.0 - unit_uniform(rng);  // in (0, 1]: log stays finite
    const double u2 = unit_uniform(rng);
    const double radius = std::sqrt(-2.0 * std::log(u1));
    values[i] = radius * std::cos(kTwoPi * u2);
    if (i + 1 < n) values[i + 1] = radius * std::sin(kTwoPi * u2);
  }
  return host.to(like.device(), like.scalar_type());
}

at::Tensor seeded_uniform_like(const at::Tensor& like, std::mt19937_64& rng) {
  at::Tensor host = host_like(like);
  double* values = host.data_ptr<double>();
  for (std::int64_t i = 0; i < host.numel(); ++i) values[i] = 2.0 * unit_uniform(rng) - 1.0;
  return host.to(like.device(), like.scalar_type());
}

}  // namespace curvtrack::curvature
