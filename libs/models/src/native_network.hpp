#pragma once
// Native networks built from specs, behind the Network interface (private header).

#include <torch/nn/module.h>

#include <functional>
#include <memory>
#include <utility>

#include "curvtrack/models/model_spec.hpp"
#include "curvtrack/models/network.hpp"

namespace curvtrack::models {

/// Any torch::nn::Module (a Sequential, a ResNet, ...) with its forward function.
class NativeNetwork : public Network {
 public:
  /// Maps inputs to logits; captures the module holder (torch::nn::Module has no virtual forward).
  using Forward = std::function<at::Tensor(const at::Tensor&)>;

  NativeNetwork(std::shared_ptr<torch::nn::Module> module, Forward forward, std::string spec);
  at::Tensor forward(const at::Tensor& inputs) override;
  std::vector<at::Tensor> parameters() override;
  std::vector<std::string> parameter_names() override;
  std::vector<at::Tensor> buffers() override;
  std::vector<std::string> buffer_names() override;
  bool has_batch_norm() override;
  void reset_batch_norm_statistics() override;
  std::vector<std::optional<double>> batch_norm_momenta() override;
  void set_batch_norm_momenta(const std::vector<std::optional<double>>& momenta) override;
  void set_training(bool training) override;
  void to(c10::Device device, c10::ScalarType dtype) override;
  void save(const std::filesystem::path& path) override;
  void load(const std::filesystem::path& path) override;
  std::string describe() const override { return spec_; }

 private:
  std::shared_ptr<torch::nn::Module> module_;
  Forward forward_;
  std::string spec_;
};

/// Wraps a module holder (torch::nn::Sequential, ResNet, ...) whose forward maps a tensor to a tensor.
template <typename Holder>
std::unique_ptr<Network> wrap_module(Holder module, std::string spec) {
  return std::make_unique<NativeNetwork>(
      module.ptr(), [module](const at::Tensor& inputs) mutable { return module->forward(inputs); },
      std::move(spec));
}

/// Builds an MLP; parameters drawn from LibTorch's default initialisation after seeding.
std::unique_ptr<Network> make_mlp(const MlpSpec& spec, const std::string& text, std::uint64_t seed);
/// Builds a CNN likewise.
std::unique_ptr<Network> make_cnn(const CnnSpec& spec, const std::string& text, std::uint64_t seed);
/// Builds a CIFAR-style ResNet likewise (see resnet.hpp).
std::unique_ptr<Network> make_resnet(const ResNetSpec& spec, const std::string& text,
                                     std::uint64_t seed);

}  // namespace curvtrack::models
