#include "resnet.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include "native_network.hpp"

namespace curvtrack::models {
namespace {

torch::nn::Conv2d conv3x3(std::int64_t in, std::int64_t out, std::int64_t stride, bool bias) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(bias));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(std::int64_t in_channels, std::int64_t out_channels,
                               std::int64_t stride, bool batch_norm)
    : in_channels_(in_channels), out_channels_(out_channels), stride_(stride) {
  // Without BatchNorm the convs get the bias BatchNorm's shift would otherwise provide.
  conv1_ = register_module("conv1", conv3x3(in_channels, out_channels, stride, !batch_norm));
  if (batch_norm) bn1_ = register_module("bn1", torch::nn::BatchNorm2d(out_channels));
  conv2_ = register_module("conv2", conv3x3(out_channels, out_channels, 1, !batch_norm));
  if (batch_norm) bn2_ = register_module("bn2", torch::nn::BatchNorm2d(out_channels));
}

at::Tensor BasicBlockImpl::shortcut(const at::Tensor& inputs) const {
  at::Tensor x = inputs;
  // Same positions as the stride-s 3x3 conv with padding 1 samples: 0, s, 2s, ...
  if (stride_ != 1) x = x.slice(2, 0, c10::nullopt, stride_).slice(3, 0, c10::nullopt, stride_);
  if (out_channels_ != in_channels_) {
    x = at::constant_pad_nd(x, {0, 0, 0, 0, 0, out_channels_ - in_channels_}, 0.0);
  }
  return x;
}

at::Tensor BasicBlockImpl::forward(const at::Tensor& inputs) {
  at::Tensor x = conv1_->forward(inputs);
  if (bn1_) x = bn1_->forward(x);
  x = at::relu(x);
  x = conv2_->forward(x);
  if (bn2_) x = bn2_->forward(x);
  return at::relu(x + shortcut(inputs));
}

ResNetImpl::ResNetImpl(const ResNetSpec& spec) {
  const std::int64_t blocks = (spec.depth - 2) / 6;
  conv1_ = register_module("conv1", conv3x3(spec.in_channels, spec.width, 1, !spec.batch_norm));
  if (spec.batch_norm) bn1_ = register_module("bn1", torch::nn::BatchNorm2d(spec.width));
  std::int64_t channels = spec.width;
  auto make_stage = [&](std::int64_t out, std::int64_t stride) {
    torch::nn::Sequential stage;
    for (std::int64_t i = 0; i < blocks; ++i) {
      stage->push_back(BasicBlock(channels, out, i == 0 ? stride : 1, spec.batch_norm));
      channels = out;
    }
    return stage;
  };
  layer1_ = register_module("layer1", make_stage(spec.width, 1));
  layer2_ = register_module("layer2", make_stage(2 * spec.width, 2));
  layer3_ = register_module("layer3", make_stage(4 * spec.width, 2));
  fc_ = register_module("fc", torch::nn::Linear(channels, spec.classes));
}

at::Tensor ResNetImpl::forward(const at::Tensor& inputs) {
  at::Tensor x = conv1_->forward(inputs);
  if (bn1_) x = bn1_->forward(x);
  x = at::relu(x);
  x = layer3_->forward(layer2_->forward(layer1_->forward(x)));
  return fc_->forward(x.mean({2, 3}));
}

std::unique_ptr<Network> make_resnet(const ResNetSpec& spec, const std::string& text,
                                     std::uint64_t seed) {
  torch::manual_seed(seed);
  return wrap_module(ResNet(spec), text);
}

}  // namespace curvtrack::models
