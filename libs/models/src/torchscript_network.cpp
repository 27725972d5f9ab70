#include "torchscript_network.hpp"

#include <torch/csrc/jit/serialization/import.h>

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
                          core::one_line(error.what_without_backtrace()));
  } catch (const std::exception& error) {
    throw core::DataError("cannot load TorchScript model " + path.string() + ": " +
                          core::one_line(error.what()));
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
