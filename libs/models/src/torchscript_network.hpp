#pragma once
// TorchScript modules loaded from a file, behind the Network interface (private header).

#include <torch/csrc/jit/api/module.h>

#include "curvtrack/models/network.hpp"

namespace curvtrack::models {

/// A torch::jit::Module whose forward maps images to logits.
class TorchScriptNetwork : public Network {
 public:
  /// Loads the module; throws core::DataError naming the file when missing or unreadable.
  explicit TorchScriptNetwork(const std::filesystem::path& path);
  at::Tensor forward(const at::Tensor& inputs) override;
  std::vector<at::Tensor> parameters() override;
  std::vector<std::string> parameter_names() override;
  std::vector<at::Tensor> buffers() override;
  std::vector<std::string> buffer_names() override;
  /// True when some submodule has a running_mean buffer.
  bool has_batch_norm() override;
  /// No-op without BatchNorm; otherwise throws core::UsageError (a scripted BatchNorm's momentum
  /// is a compiled-in constant, so a cumulative average cannot be switched on).
  void reset_batch_norm_statistics() override;
  std::vector<std::optional<double>> batch_norm_momenta() override;
  void set_batch_norm_momenta(const std::vector<std::optional<double>>& momenta) override;
  void set_training(bool training) override;
  void to(c10::Device device, c10::ScalarType dtype) override;
  void save(const std::filesystem::path& path) override;
  void load(const std::filesystem::path& path) override;
  std::string describe() const override { return path_.string(); }

 private:
  void reject_batch_norm();

  std::filesystem::path path_;
  torch::jit::Module module_;
};

}  // namespace curvtrack::models
