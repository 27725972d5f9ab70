#pragma once
// Loads what a curvature measurement needs: the network (in eval mode, chosen dtype and device)
// and the probe set, with the settings that identify them.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "curvtrack/data/dataset.hpp"
#include "curvtrack/models/network.hpp"

namespace curvtrack::runner {

/// Where the model and probe set come from.
struct ProbeSetupOptions {
  std::string model;            ///< TorchScript file or native spec
  std::string weights;          ///< optional weights file for a native spec
  std::string data = "fashion-mnist";
  std::string probe = "train:first:2048";
  std::string dtype = "float64";
  std::string device = "cpu";
  std::uint64_t seed = 0;       ///< initialisation seed for native specs without weights
  /// Load the whole split into ProbeSetup::pool (probe draws need it). false: for a probe
  /// SPLIT:first:N only those N examples are read (data::load_dataset_head) and pool = probe.
  bool whole_split = true;
};

/// A network ready for HVPs and its probe examples.
struct ProbeSetup {
  std::unique_ptr<models::Network> network;
  data::Dataset probe;
  data::Dataset pool;           ///< the whole split the probe set was taken from (for probe draws)
  nlohmann::json settings;      ///< model (file, fingerprint, parameters), data, probe, dtype, device
  double data_seconds = 0;      ///< reading the data and taking the probe set
  double model_seconds = 0;     ///< loading the model, moving it to its dtype and device, checking its output
};

/// The model's parameters, one line each: name, shape and size, in the order of the flattened
/// parameter vector (the names --params and blocks use), then the total.
std::string parameter_listing(const std::string& model, std::uint64_t seed);

/// Loads model and probe set; validates the model's output shape on the probe inputs.
ProbeSetup load_probe_setup(const ProbeSetupOptions& options);

}  // namespace curvtrack::runner
