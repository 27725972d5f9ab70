#include "native_network.hpp"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>
#include <torch/serialize.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/utils.h>

#include <stdexcept>

#include "curvtrack/core/errors.hpp"

namespace curvtrack::models {
namespace {

void append_activation(torch::nn::Sequential& sequence, Activation activation) {
  switch (activation) {
    case Activation::kTanh: sequence->push_back(torch::nn::Tanh()); break;
    case Activation::kRelu: sequence->push_back(torch::nn::ReLU()); break;
    case Activation::kGelu: sequence->push_back(torch::nn::GELU()); break;
    case Activation::kSigmoid: sequence->push_back(torch::nn::Sigmoid()); break;
  }
}

// Calls f(layer) for every BatchNorm layer tracking running statistics, in module order.
template <typename F>
void for_each_batch_norm(torch::nn::Module& module, F&& f) {
  for (const auto& child : module.modules(/*include_self=*/true)) {
    if (auto* layer = dynamic_cast<torch::nn::BatchNorm1dImpl*>(child.get())) {
      if (layer->options.track_running_stats()) f(*layer);
    } else if (auto* layer = dynamic_cast<torch::nn::BatchNorm2dImpl*>(child.get())) {
      if (layer->options.track_running_stats()) f(*layer);
    } else if (auto* layer = dynamic_cast<torch::nn::BatchNorm3dImpl*>(child.get())) {
      if (layer->options.track_running_stats()) f(*layer);
    }
  }
}

}  // namespace

NativeNetwork::NativeNetwork(std::shared_ptr<torch::nn::Module> module, Forward forward,
                             std::string spec)
    : module_(std::move(module)), forward_(std::move(forward)), spec_(std::move(spec)) {}

at::Tensor NativeNetwork::forward(const at::Tensor& inputs) { return forward_(inputs); }

std::vector<at::Tensor> NativeNetwork::parameters() { return module_->parameters(); }

std::vector<std::string> NativeNetwork::parameter_names() {
  std::vector<std::string> names;
  for (const auto& item : module_->named_parameters()) names.push_back(item.key());
  return names;
}

std::vector<at::Tensor> NativeNetwork::buffers() { return module_->buffers(); }

std::vector<std::string> NativeNetwork::buffer_names() {
  std::vector<std::string> names;
  for (const auto& item : module_->named_buffers()) names.push_back(item.key());
  return names;
}

bool NativeNetwork::has_batch_norm() {
  bool found = false;
  for_each_batch_norm(*module_, [&](auto&) { found = true; });
  return found;
}

void NativeNetwork::reset_batch_norm_statistics() {
  torch::NoGradGuard no_grad;
  for_each_batch_norm(*module_, [](auto& layer) {
    layer.reset_running_stats();
    layer.options.momentum(c10::nullopt);
  });
}

std::vector<std::optional<double>> NativeNetwork::batch_norm_momenta() {
  std::vector<std::optional<double>> momenta;
  for_each_batch_norm(*module_, [&](auto& layer) {
    const c10::optional<double>& momentum = layer.options.momentum();
    momenta.push_back(momentum.has_value() ? std::optional<double>(*momentum) : std::nullopt);
  });
  return momenta;
}

void NativeNetwork::set_batch_norm_momenta(const std::vector<std::optional<double>>& momenta) {
  std::size_t count = 0;
  for_each_batch_norm(*module_, [&](auto&) { ++count; });
  if (momenta.size() != count) {
    throw std::invalid_argument("set_batch_norm_momenta: " + std::to_string(momenta.size()) +
                                " momenta for " + std::to_string(count) + " BatchNorm layers of " +
                                spec_);
  }
  std::size_t i = 0;
  for_each_batch_norm(*module_, [&](auto& layer) {
    const std::optional<double>& momentum = momenta[i++];
    layer.options.momentum(momentum ? c10::optional<double>(*momentum) : c10::nullopt);
  });
}

void NativeNetwork::set_training(bool training) { module_->train(training); }

void NativeNetwork::to(c10::Device device, c10::ScalarType dtype) {
  // Unlike Module::to(device, dtype), keep integer buffers (num_batches_tracked) integer, as
  // PyTorch's Module.to(dtype) does.
  torch::NoGradGuard no_grad;
  module_->to(device);
  for (auto& tensor : module_->parameters()) {
    if (tensor.is_floating_point()) tensor.set_data(tensor.to(dtype));
  }
  for (auto& tensor : module_->buffers()) {
    if (tensor.is_floating_point()) tensor.set_data(tensor.to(dtype));
  }
}

void NativeNetwork::save(const std::filesystem::path& path) { torch::save(module_, path.string()); }

void NativeNetwork::load(const std::filesystem::path& path) {
  try {
    torch::load(module_, path.string());
  } catch (const c10::Error& error) {
    throw core::DataError("cannot load weights from " + path.string() + " into " + spec_ + ": " +
                          core::without_backtrace(error.what_without_backtrace()));
  }
}

std::unique_ptr<Network> make_mlp(const MlpSpec& spec, const std::string& text, std::uint64_t seed) {
  torch::manual_seed(seed);
  torch::nn::Sequential sequence;
  sequence->push_back(torch::nn::Flatten());
  for (std::size_t i = 0; i + 1 < spec.widths.size(); ++i) {
    sequence->push_back(torch::nn::Linear(spec.widths[i], spec.widths[i + 1]));
    if (i + 2 < spec.widths.size()) append_activation(sequence, spec.activation);
  }
  return wrap_module(sequence, text);
}

std::unique_ptr<Network> make_cnn(const CnnSpec& spec, const std::string& text, std::uint64_t seed) {
  torch::manual_seed(seed);
  torch::nn::Sequential sequence;
  std::int64_t channels = spec.in_channels;
  std::int64_t side = spec.side;
  for (std::int64_t out : spec.channels) {
    sequence->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, out, 3).padding(1)));
    if (spec.batch_norm) sequence->push_back(torch::nn::BatchNorm2d(out));
    append_activation(sequence, spec.activation);
    sequence->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    channels = out;
    side /= 2;
  }
  sequence->push_back(torch::nn::Flatten());
  sequence->push_back(torch::nn::Linear(channels * side * side, spec.classes));
  return wrap_module(sequence, text);
}

}  // namespace curvtrack::models
