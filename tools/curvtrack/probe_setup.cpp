#include "probe_setup.hpp"

#include <ATen/ATen.h>
#include <torch/cuda.h>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/hash.hpp"
#include "curvtrack/data/probe.hpp"

namespace curvtrack::tool {

c10::Device resolve_device(const std::string& device) {
  bool cuda = torch::cuda::is_available();
  if (device == "auto") return cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (device != "cpu" && device.rfind("cuda", 0) != 0) {
    throw core::UsageError("--device '" + device + "' is not one of auto, cpu, cuda, cuda:N");
  }
  c10::Device parsed(c10::kCPU);
  try {
    parsed = c10::Device(device);
  } catch (const c10::Error&) {
    throw core::UsageError("--device '" + device + "' is not one of auto, cpu, cuda, cuda:N");
  }
  if (parsed.is_cuda()) {
    if (!cuda) throw core::UsageError("--device " + device + ": this build or machine has no CUDA device");
    if (parsed.has_index() && parsed.index() >= static_cast<int>(torch::cuda::device_count())) {
      throw core::UsageError("--device " + device + ": only " + std::to_string(torch::cuda::device_count()) +
                             " CUDA device(s) present");
    }
  }
  return parsed;
}

c10::ScalarType parse_dtype(const std::string& dtype) {
  if (dtype == "float64" || dtype == "double") return at::kDouble;
  if (dtype == "float32" || dtype == "float") return at::kFloat;
  throw core::UsageError("--dtype '" + dtype + "' is not one of float32, float64");
}

ProbeSetup load_probe_setup(const ProbeSetupOptions& options) {
  if (options.model.empty()) throw core::UsageError("--model is required (a TorchScript .pt file or a spec such as mlp:784-64-10:tanh)");
  c10::Device device = resolve_device(options.device);
  c10::ScalarType dtype = parse_dtype(options.dtype);

  data::ProbeSpec probe_spec = data::parse_probe_spec(options.probe);
  data::DatasetSpec dataset_spec = data::parse_dataset_spec(options.data);
  data::Dataset split = data::load_dataset(dataset_spec, probe_spec.split);
  std::vector<std::int64_t> indices = data::probe_indices(probe_spec, split.images.size(0));

  ProbeSetup setup;
  setup.probe = data::subset(split, indices);
  setup.network = models::make_network(options.model, options.seed);
  nlohmann::json model = {{"spec", options.model}};
  std::optional<std::filesystem::path> file = models::model_file(options.model);
  if (file) {
    model["file"] = file->string();
    model["fingerprint_fnv1a64"] = core::file_fingerprint(*file);
  }
  if (!options.weights.empty()) {
    if (!std::filesystem::is_regular_file(options.weights)) {
      throw core::DataError("weights file " + options.weights + " does not exist");
    }
    setup.network->load(options.weights);
    model["weights"] = options.weights;
    model["weights_fingerprint_fnv1a64"] = core::file_fingerprint(options.weights);
  } else if (!file) {
    model["init_seed"] = options.seed;
  }
  setup.network->to(device, dtype);
  setup.network->set_training(false);
  models::check_classifier_output(*setup.network,
                                  setup.probe.images.slice(0, 0, 2).to(device, dtype),
                                  setup.probe.num_classes);
  model["parameters"] = models::parameter_count(*setup.network);

  setup.settings = {{"model", model},
                    {"data", {{"spec", options.data}, {"name", split.name}, {"source", split.source}}},
                    {"probe", {{"spec", options.probe}, {"examples", indices.size()},
                               {"split", data::split_name(probe_spec.split)},
                               {"indices_fingerprint_fnv1a64",
                                core::fnv1a64_hex(std::string(reinterpret_cast<const char*>(indices.data()),
                                                              indices.size() * sizeof(std::int64_t)))}}},
                    {"dtype", options.dtype == "double" ? "float64" : options.dtype == "float" ? "float32" : options.dtype},
                    {"device", device.str()},
                    {"model_mode", "eval (dropout off, BatchNorm running statistics as stored)"}};
  return setup;
}

}  // namespace curvtrack::tool
