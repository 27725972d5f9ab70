#include "torchscript_network.hpp"

#include <torch/csrc/jit/serialization/import.h>

#include <stdexcept>

#include "curvtrack/core/errors.hpp"

namespace curvtrack::models {
namespace {

torch::jit::Module load_module(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw core::DataError("model file " + path.string() + " does not exist (expected a TorchScript "
                          "module saved with torch.jit.save)");
  }
  try {
    return torch::jit::load(path.string());
  } catch (const c10::Error& error) {
    throw core::DataError("cannot load TorchScript model " + path.string() + ": " +
                          core::without_backtrace(error.what_without_backtrace()));
  } catch (const std::exception& error) {
    throw core::DataError("cannot load TorchScript model " + path.string() + ": " +
                          core::without_backtrace(error.what()));
  }
}

}  // namespace

TorchScriptNetwork::TorchScriptNetwork(const std::filesystem::path& path)
    : path_(path), module_(load_module(path)) {}

at::Tensor TorchScriptNetwork::forward(const at::Tensor& inputs) {
  c10::IValue output = module_.forward({inputs});
  if (!output.isTensor()) {
    throw core::DataError("model " + path_.string() + " returns " + output.tagKind() +
                          ", expected a logits tensor [N, classes]");
  }
  return output.toTensor();
}

std::vector<at::Tensor> TorchScriptNetwork::parameters() {
  std::vector<at::Tensor> tensors;
  for (const auto& parameter : module_.parameters(/*recurse=*/true)) {
    if (parameter.requires_grad()) tensors.push_back(parameter);
  }
  return tensors;
}

std::vector<std::string> TorchScriptNetwork::parameter_names() {
  std::vector<std::string> names;
  for (const auto& item : module_.named_parameters(/*recurse=*/true)) {
    if (item.value.requires_grad()) names.push_back(item.name);
  }
  return names;
}

std::vector<at::Tensor> TorchScriptNetwork::buffers() {
  std::vector<at::Tensor> tensors;
  for (const auto& buffer : module_.buffers(/*recurse=*/true)) tensors.push_back(buffer);
  return tensors;
}

std::vector<std::string> TorchScriptNetwork::buffer_names() {
  std::vector<std::string> names;
  for (const auto& item : module_.named_buffers(/*recurse=*/true)) names.push_back(item.name);
  return names;
}

bool TorchScriptNetwork::has_batch_norm() {
  const std::string suffix = "running_mean";
  for (const auto& item : module_.named_buffers(/*recurse=*/true)) {
    const std::string& name = item.name;
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}

void TorchScriptNetwork::reject_batch_norm() {
  if (has_batch_norm()) {
    throw core::UsageError("re-estimating BatchNorm statistics is not supported for TorchScript "
                           "models (" + path_.string() + "); use a native spec or probe in train "
                           "mode");
  }
}

void TorchScriptNetwork::reset_batch_norm_statistics() { reject_batch_norm(); }

std::vector<std::optional<double>> TorchScriptNetwork::batch_norm_momenta() {
  reject_batch_norm();
  return {};
}

void TorchScriptNetwork::set_batch_norm_momenta(const std::vector<std::optional<double>>& momenta) {
  reject_batch_norm();
  if (!momenta.empty()) {
    throw std::invalid_argument("set_batch_norm_momenta: " + std::to_string(momenta.size()) +
                                " momenta for a model without BatchNorm (" + path_.string() + ")");
  }
}

void TorchScriptNetwork::set_training(bool training) {
  if (training) {
    module_.train();
  } else {
    module_.eval();
  }
}

void TorchScriptNetwork::to(c10::Device device, c10::ScalarType dtype) { module_.to(device, dtype); }

void TorchScriptNetwork::save(const std::filesystem::path& path) { module_.save(path.string()); }

void TorchScriptNetwork::load(const std::filesystem::path& path) {
  module_ = load_module(path);
  path_ = path;
}

}  // namespace curvtrack::models
