#pragma once
// Native networks built from specs, behind the Network interface (private header).

#include <torch/nn/modules/container/sequential.h>

#include <memory>

#include "curvtrack/models/model_spec.hpp"
#include "curvtrack/models/network.hpp"

namespace curvtrack::models {

/// A torch::nn::Sequential built from an MLP or CNN spec.
class NativeNetwork : public Network {
 public:
  NativeNetwork(torch::nn::Sequential module, std::string spec);
  at::Tensor forward(const at::Tensor& inputs) override;
  std::vector<at::Tensor> parameters() override;
  std::vector<std::string> parameter_names() override;
  void set_training(bool training) override;
  void to(c10::Device device, c10::ScalarType dtype) override;
  void save(const std::filesystem::path& path) override;
  void load(const std::filesystem::path& path) override;
  std::string describe() const override { return spec_; }

 private:
  torch::nn::Sequential module_;
  std::string spec_;
};

/// Builds an MLP; parameters drawn from LibTorch's default initialisation after seeding.
std::unique_ptr<Network> make_mlp(const MlpSpec& spec, const std::string& text, std::uint64_t seed);
/// Builds a CNN likewise.
std::unique_ptr<Network> make_cnn(const CnnSpec& spec, const std::string& text, std::uint64_t seed);

}  // namespace curvtrack::models
