#pragma once
// `curvtrack spectrum --run DIR`: the training-time curvature records computed afterwards from
// a run's saved checkpoints (e.g. in a separate batch job), merged into its curvature.jsonl.

#include <string>

#include <cstdint>
#include <filesystem>

namespace curvtrack::runner {

/// How a command runs the offline probes.
struct OfflineProbeRequest {
  std::string run_dir;
  std::string selection = "all";  ///< all | every:N | S1,S2,... (checkpoint steps)
  int threads = 0;                ///< intra-op threads; 0: the run's train.threads
  bool quiet = false;             ///< no progress lines on stderr
};

/// What the offline probes added.
struct OfflineProbeSummary {
  std::int64_t added = 0;            ///< new records
  std::int64_t already_present = 0;  ///< records the run had
  std::filesystem::path curvature;   ///< the merged curvature.jsonl
};

/// Probes the checkpoints of the run selected by `selection` that have no record yet, with
/// the run's own [curvature] settings, and merges the records into its curvature.jsonl in
/// step order. Throws core::DataError when run_dir is not a run directory.
OfflineProbeSummary probe_checkpoints(const OfflineProbeRequest& request);

}  // namespace curvtrack::runner
