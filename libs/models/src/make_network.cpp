#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <stdexcept>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/models/network.hpp"
#include "native_network.hpp"
#include "torchscript_network.hpp"

namespace curvtrack::models {

std::int64_t parameter_count(Network& network) {
  std::int64_t count = 0;
  for (const auto& parameter : network.parameters()) count += parameter.numel();
  return count;
}

std::optional<std::filesystem::path> model_file(const std::string& spec) {
  auto ends_with = [&](const std::string& suffix) {
    return spec.size() >= suffix.size() &&
           spec.compare(spec.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (spec.rfind("torchscript:", 0) == 0) return std::filesystem::path(spec.substr(12));
  if (ends_with(".pt") || ends_with(".pth") || ends_with(".ts")) return std::filesystem::path(spec);
  return std::nullopt;
}

void reestimate_batch_norm(Network& network, const at::Tensor& inputs, std::int64_t batch_size) {
  if (batch_size < 1) {
    throw std::invalid_argument("reestimate_batch_norm: batch_size " + std::to_string(batch_size) +
                                " must be at least 1");
  }
  if (!inputs.defined() || inputs.dim() == 0 || inputs.size(0) == 0) {
    throw std::invalid_argument("reestimate_batch_norm: no inputs for " + network.describe());
  }
  if (!network.has_batch_norm()) {
    network.set_training(false);
    return;
  }
  const std::vector<std::optional<double>> original = network.batch_norm_momenta();
  network.reset_batch_norm_statistics();
  torch::NoGradGuard no_grad;
  network.set_training(true);
  try {
    const std::int64_t count = inputs.size(0);
    for (std::int64_t start = 0; start < count; start += batch_size) {
      const std::int64_t end = std::min(start + batch_size, count);
      // Weight n_b / (inputs seen so far) makes every input count equally, whatever the batch
      // sizes; LibTorch's cumulative average (momentum nullopt) weighs batches equally instead.
      const double weight = static_cast<double>(end - start) / static_cast<double>(end);
      network.set_batch_norm_momenta(
          std::vector<std::optional<double>>(original.size(), std::optional<double>(weight)));
      network.forward(inputs.slice(0, start, end));
    }
  } catch (...) {
    network.set_batch_norm_momenta(original);
    network.set_training(false);
    throw;
  }
  network.set_batch_norm_momenta(original);
  network.set_training(false);
}

std::unique_ptr<Network> make_network(const std::string& spec, std::uint64_t seed) {
  if (auto file = model_file(spec)) return std::make_unique<TorchScriptNetwork>(*file);
  if (spec.rfind("mlp:", 0) == 0) return make_mlp(parse_mlp_spec(spec), spec, seed);
  if (spec.rfind("cnn:", 0) == 0) return make_cnn(parse_cnn_spec(spec), spec, seed);
  if (spec.rfind("resnet:", 0) == 0) return make_resnet(parse_resnet_spec(spec), spec, seed);
  throw core::UsageError("model '" + spec + "' is neither a spec (mlp:784-64-10:tanh, " +
                         "cnn:8-16:relu, resnet:20) nor a TorchScript file ending in .pt");
}

void check_classifier_output(Network& network, const at::Tensor& sample, std::int64_t classes) {
  torch::NoGradGuard no_grad;
  // A saturating activation can hide an infinite weight from the logits: check the weights too.
  auto check_finite = [&](const std::vector<at::Tensor>& tensors, const std::vector<std::string>& names,
                          const char* what) {
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      if (!at::isFloatingType(tensors[i].scalar_type()) || tensors[i].isfinite().all().item<bool>()) continue;
      std::int64_t bad = tensors[i].numel() - tensors[i].isfinite().sum().item<std::int64_t>();
      throw core::DataError("model " + network.describe() + " has non-finite values (" + std::to_string(bad) + " NaN or Inf) in " +
                            what + " " + (i < names.size() ? names[i] : std::to_string(i)));
    }
  };
  check_finite(network.parameters(), network.parameter_names(), "parameter");
  check_finite(network.buffers(), network.buffer_names(), "buffer");
  at::Tensor logits;
  try {
    logits = network.forward(sample);
  } catch (const core::DataError&) {
    throw;
  } catch (const std::exception& error) {
    throw core::DataError("model " + network.describe() + " fails on inputs of shape " +
                          c10::str(sample.sizes()) + ": " + core::one_line(error.what()).substr(0, 300));
  }
  if (logits.dim() != 2 || logits.size(0) != sample.size(0) || logits.size(1) != classes) {
    throw core::DataError("model " + network.describe() + " maps inputs " + c10::str(sample.sizes()) +
                          " to " + c10::str(logits.sizes()) + "; expected logits [" +
                          std::to_string(sample.size(0)) + ", " + std::to_string(classes) + "]");
  }
  if (!logits.isfinite().all().item<bool>()) {
    throw core::DataError("model " + network.describe() + " produces non-finite logits");
  }
}

}  // namespace curvtrack::models
