#include "native_network.hpp"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>
#include <torch/serialize.h>
#include <torch/utils.h>

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

}  // namespace

NativeNetwork::NativeNetwork(torch::nn::Sequential module, std::string spec)
    : module_(std::move(module)), spec_(std::move(spec)) {}

at::Tensor NativeNetwork::forward(const at::Tensor& inputs) { return module_->forward(inputs); }

std::vector<at::Tensor> NativeNetwork::parameters() { return module_->parameters(); }

std::vector<std::string> NativeNetwork::parameter_names() {
  std::vector<std::string> names;
  for (const auto& item : module_->named_parameters()) names.push_back(item.key());
  return names;
}

void NativeNetwork::set_training(bool training) { module_->train(training); }

void NativeNetwork::to(c10::Device device, c10::ScalarType dtype) { module_->to(device, dtype); }

void NativeNetwork::save(const std::filesystem::path& path) { torch::save(module_, path.string()); }

void NativeNetwork::load(const std::filesystem::path& path) {
  try {
    torch::load(module_, path.string());
  } catch (const c10::Error& error) {
    throw core::DataError("cannot load weights from " + path.string() + " into " + spec_ + ": " +
                          core::one_line(error.what_without_backtrace()));
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
  return std::make_unique<NativeNetwork>(sequence, text);
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
  return std::make_unique<NativeNetwork>(sequence, text);
}

}  // namespace curvtrack::models
