#pragma once
// CIFAR-style ResNet (He et al. 2016, section 4.2) as a torch::nn module (private header).

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "curvtrack/models/model_spec.hpp"

namespace curvtrack::models {

/// conv3x3 - [BN] - ReLU - conv3x3 - [BN] + shortcut - ReLU. The shortcut is option A: identity,
/// or, where the block changes shape, stride-2 subsampling and zero channels appended after the
/// input's (parameter-free).
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(std::int64_t in_channels, std::int64_t out_channels, std::int64_t stride,
                 bool batch_norm);
  at::Tensor forward(const at::Tensor& inputs);

 private:
  at::Tensor shortcut(const at::Tensor& inputs) const;

  std::int64_t in_channels_;
  std::int64_t out_channels_;
  std::int64_t stride_;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::Conv2d conv2_{nullptr};
  torch::nn::BatchNorm2d bn2_{nullptr};
};
TORCH_MODULE(BasicBlock);

/// Stem conv1 [+ bn1] + ReLU, stages layer1..layer3 (Sequentials of BasicBlocks named 0..n-1),
/// global average pooling, fc. Parameter names follow torchvision: "conv1.weight",
/// "layer2.0.bn1.bias", "fc.weight".
class ResNetImpl : public torch::nn::Module {
 public:
  explicit ResNetImpl(const ResNetSpec& spec);
  at::Tensor forward(const at::Tensor& inputs);

 private:
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::Sequential layer1_{nullptr};
  torch::nn::Sequential layer2_{nullptr};
  torch::nn::Sequential layer3_{nullptr};
  torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(ResNet);

}  // namespace curvtrack::models
