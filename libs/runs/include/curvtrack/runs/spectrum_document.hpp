#pragma once
// The JSON document `curvtrack spectrum` writes, as a typed record: what was measured (model,
// data, probe set, dtype, device, threads, ranks), the probe loss and gradient, the
// determinism check, and each measure with its error estimate and product count.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "curvtrack/runs/curvature_record.hpp"

namespace curvtrack::runs {

/// Two products of one vector compared: the run-to-run noise of the HVPs.
struct DeterminismCheck {
  double max_abs_difference = 0;
  std::int64_t hvps = 2;
  nlohmann::json to_json() const;
};

/// The spectrum document.
struct SpectrumDocument {
  std::string tool = "curvtrack spectrum";
  std::string curvtrack_version;
  std::string git_revision;
  nlohmann::json settings;          ///< model, data, probe, dtype, device, threads, ranks, libraries, ...
  double probe_loss = 0;
  double probe_gradient_norm = 0;
  DeterminismCheck determinism;
  std::int64_t total_hvps = 0;
  double total_seconds = 0;
  /// Seconds per phase: start (process start to the measurement, program loading included),
  /// data, model, operator (loss, gradient and graph), determinism_check, then each measure's.
  nlohmann::json phase_seconds = nlohmann::json::object();
  std::optional<EigenRecord> top;
  std::optional<EigenRecord> bottom;
  std::optional<TraceRecord> trace;
  std::optional<DensityRecord> esd;
  std::map<std::string, BlockRecord> blocks;  ///< per parameter block (empty: none asked for)
  std::optional<SubspaceRecord> subspace;
  std::optional<ProbeDrawsRecord> probe_draws;
  nlohmann::json to_json() const;
};

}  // namespace curvtrack::runs
