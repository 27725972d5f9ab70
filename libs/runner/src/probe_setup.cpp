#include "curvtrack/runner/probe_setup.hpp"

#include <ATen/ATen.h>

#include <chrono>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/hash.hpp"
#include "curvtrack/data/probe.hpp"
#include "curvtrack/runner/devices.hpp"
#include "curvtrack/runner/tensor_data.hpp"

namespace curvtrack::runner {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string parameter_listing(const std::string& model, std::uint64_t seed) {
  if (model.empty()) throw core::UsageError("--model is required (a TorchScript .pt file or a spec such as mlp:784-64-10:tanh)");
  std::unique_ptr<models::Network> network = models::make_network(model, seed);
  auto names = network->parameter_names();
  auto parameters = network->parameters();
  std::string out;
  std::int64_t total = 0;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    std::string shape;
    for (std::int64_t d = 0; d < parameters[i].dim(); ++d) shape += (d ? "x" : "") + std::to_string(parameters[i].size(d));
    out += names[i] + "\t" + shape + "\t" + std::to_string(parameters[i].numel()) + "\n";
    total += parameters[i].numel();
  }
  return out + "total\t\t" + std::to_string(total) + "\n";
}

ProbeSetup load_probe_setup(const ProbeSetupOptions& options) {
  if (options.model.empty()) throw core::UsageError("--model is required (a TorchScript .pt file or a spec such as mlp:784-64-10:tanh)");
  c10::Device device = resolve_device(options.device);
  c10::ScalarType dtype = parse_dtype(options.dtype);

  auto start = std::chrono::steady_clock::now();
  data::ProbeSpec probe_spec = data::parse_probe_spec(options.probe);
  data::DatasetSpec dataset_spec = data::parse_dataset_spec(options.data);
  ProbeSetup setup;
  std::vector<std::int64_t> indices;
  if (probe_spec.kind == data::ProbeSpec::Kind::kFirst && !options.whole_split) {
    data::DatasetHead head = data::load_dataset_head(dataset_spec, probe_spec.split, probe_spec.count);
    indices = data::probe_indices(probe_spec, head.split_examples);
    setup.probe = std::move(head.data);
    setup.pool = setup.probe;
  } else {
    data::Dataset split = data::load_dataset(dataset_spec, probe_spec.split);
    indices = data::probe_indices(probe_spec, split.images.size(0));
    setup.probe = data::subset(split, indices);
    setup.pool = std::move(split);
  }
  setup.data_seconds = seconds_since(start);
  start = std::chrono::steady_clock::now();
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
  const at::Tensor sample = setup.probe.images.slice(0, 0, 2).to(device, dtype);
  fit_classes_to_model(*setup.network, sample, setup.probe);
  models::check_classifier_output(*setup.network, sample, setup.probe.num_classes);
  model["parameters"] = models::parameter_count(*setup.network);
  setup.model_seconds = seconds_since(start);

  setup.settings = {{"model", model},
                    {"data", {{"spec", options.data}, {"name", setup.probe.name}, {"source", setup.probe.source}}},
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

}  // namespace curvtrack::runner
