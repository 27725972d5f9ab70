#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <new>
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

namespace {

// Half of the physical memory, in bytes (0: unknown).
double memory_limit() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? static_cast<double>(pages) * static_cast<double>(page_size) / 2 : 0;
}

std::string bytes_text(double bytes) {
  char text[96];
  std::snprintf(text, sizeof text, "%.0f bytes (%.3g GB)", bytes, bytes / 1e9);
  return text;
}

// A native spec is refused before anything is allocated when its parameters alone (float32,
// as built) would take more than half of this machine's memory: the allocator would otherwise
// fail (or the kernel kill the process) part way through building it.
void check_memory(const std::string& spec, double scalars) {
  const double bytes = scalars * static_cast<double>(sizeof(float)), limit = memory_limit();
  if (limit > 0 && bytes > limit) {
    char count[32];
    std::snprintf(count, sizeof count, "%.0f", scalars);
    throw core::UsageError("model spec '" + spec + "' has " + count + " parameters: " + bytes_text(bytes) +
                           " in float32, more than half of this machine's memory (" + bytes_text(limit) +
                           "); give a smaller spec");
  }
}

template <typename Spec, typename Make>
std::unique_ptr<Network> make_native(const std::string& text, const Spec& spec, std::uint64_t seed, Make make) {
  check_memory(text, stored_scalars(spec));
  try {
    return make(spec, text, seed);
  } catch (const c10::Error& error) {
    throw core::UsageError("model spec '" + text + "' cannot be built: " + error_message(error));
  } catch (const std::bad_alloc&) {
    throw core::UsageError("model spec '" + text + "' cannot be built: out of memory; give a smaller spec");
  }
}

}  // namespace

std::unique_ptr<Network> make_network(const std::string& spec, std::uint64_t seed) {
  if (auto file = model_file(spec)) return std::make_unique<TorchScriptNetwork>(*file);
  if (spec.rfind("mlp:", 0) == 0) return make_native(spec, parse_mlp_spec(spec), seed, make_mlp);
  if (spec.rfind("cnn:", 0) == 0) return make_native(spec, parse_cnn_spec(spec), seed, make_cnn);
  if (spec.rfind("resnet:", 0) == 0) return make_native(spec, parse_resnet_spec(spec), seed, make_resnet);
  throw core::UsageError("model '" + spec + "' is neither a spec (mlp:784-64-10:tanh, " +
                         "cnn:8-16:relu, resnet:20) nor a TorchScript file ending in .pt");
}

std::string error_message(const std::exception& error) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&error)) {
    return core::without_backtrace(torch_error->what_without_backtrace());
  }
  // A c10::Error rethrown as another type keeps the backtrace in its text: cut it off.
  return core::without_backtrace(error.what());
}

namespace {

// The logits must depend on the parameters through a graph; with kSecond, the gradient of the
// loss too (an HVP differentiates it again). Checked once, on the logits of the sample batch
// (labels 0), before any work: a detached output would otherwise fail deep inside the first
// gradient with a raw autograd message.
void check_differentiable(const std::string& model, const at::Tensor& logits, const std::vector<at::Tensor>& parameters,
                          Derivatives derivatives) {
  if (!logits.requires_grad()) {
    throw core::DataError(model + " cannot be differentiated: its output does not depend on its parameters "
                          "through an autograd graph (does forward detach the output or run under no_grad?); "
                          "training and curvature need d(logits)/d(parameters)");
  }
  at::AutoGradMode enable(true);
  at::Tensor labels = at::zeros({logits.size(0)}, logits.options().dtype(at::kLong));
  at::Tensor loss = at::cross_entropy_loss(logits, labels);
  std::vector<at::Tensor> gradients;
  try {
    gradients = torch::autograd::grad({loss}, parameters, {}, /*retain_graph=*/true,
                                      /*create_graph=*/derivatives == Derivatives::kSecond, /*allow_unused=*/true);
  } catch (const std::exception& error) {
    throw core::DataError(model + " cannot be differentiated: the gradient of its loss fails (" +
                          error_message(error).substr(0, 300) + ")");
  }
  if (std::none_of(gradients.begin(), gradients.end(), [](const at::Tensor& g) { return g.defined(); })) {
    throw core::DataError(model + " cannot be differentiated: its output does not depend on any of its " +
                          std::to_string(parameters.size()) + " parameter tensors");
  }
  if (derivatives == Derivatives::kFirst) return;
  at::Tensor dot;
  for (const auto& gradient : gradients) {
    if (!gradient.defined() || !gradient.requires_grad()) continue;
    dot = dot.defined() ? dot + gradient.sum() : gradient.sum();
  }
  if (!dot.defined()) {
    throw core::DataError(model + " has no second-order graph: the gradient of its loss does not depend on the "
                          "parameters through autograd (a detached intermediate, or an operation without double "
                          "backward); Hessian-vector products need one");
  }
  try {
    torch::autograd::grad({dot}, parameters, {}, /*retain_graph=*/false, /*create_graph=*/false, /*allow_unused=*/true);
  } catch (const std::exception& error) {
    throw core::DataError(model + " has no second-order graph: differentiating its gradient fails (" +
                          error_message(error).substr(0, 300) + "); Hessian-vector products need one");
  }
}

}  // namespace

void check_classifier_output(Network& network, const at::Tensor& sample, std::int64_t classes, Derivatives derivatives) {
  const std::string model = "model " + network.describe();
  {
    torch::NoGradGuard no_grad;
    // A saturating activation can hide an infinite weight from the logits: check the weights too.
    auto check_finite = [&](const std::vector<at::Tensor>& tensors, const std::vector<std::string>& names,
                            const char* what) {
      for (std::size_t i = 0; i < tensors.size(); ++i) {
        if (!at::isFloatingType(tensors[i].scalar_type()) || tensors[i].isfinite().all().item<bool>()) continue;
        std::int64_t bad = tensors[i].numel() - tensors[i].isfinite().sum().item<std::int64_t>();
        throw core::DataError(model + " has non-finite values (" + std::to_string(bad) + " NaN or Inf) in " +
                              what + " " + (i < names.size() ? names[i] : std::to_string(i)));
      }
    };
    check_finite(network.parameters(), network.parameter_names(), "parameter");
    check_finite(network.buffers(), network.buffer_names(), "buffer");
  }
  // One forward, with gradients: the same batch shows the shape, the values and the graph.
  std::vector<at::Tensor> parameters = network.parameters();
  at::Tensor logits;
  try {
    at::AutoGradMode enable(true);
    logits = network.forward(sample);
  } catch (const core::DataError&) {
    throw;
  } catch (const std::exception& error) {
    throw core::DataError(model + " fails on inputs of shape " + c10::str(sample.sizes()) + ": " +
                          error_message(error).substr(0, 300));
  }
  if (logits.dim() != 2 || logits.size(0) != sample.size(0) || logits.size(1) != classes) {
    throw core::DataError(model + " maps inputs " + c10::str(sample.sizes()) + " to " + c10::str(logits.sizes()) +
                          "; expected logits [" + std::to_string(sample.size(0)) + ", " + std::to_string(classes) + "]");
  }
  if (!logits.isfinite().all().item<bool>()) throw core::DataError(model + " produces non-finite logits");
  // No parameters: reported where the parameters are counted ("0 parameters").
  if (!parameters.empty()) check_differentiable(model, logits, parameters, derivatives);
}

}  // namespace curvtrack::models
