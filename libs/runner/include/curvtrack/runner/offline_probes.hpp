#pragma once
// `curvtrack spectrum --run DIR`: the training-time curvature records computed afterwards from
// a run's saved checkpoints (e.g. in a separate batch job), merged into its curvature.jsonl.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace curvtrack::runner {

/// How a command runs the offline probes.
struct OfflineProbeRequest {
  std::string run_dir;
  std::string selection = "all";  ///< all | last | every:N | S1,S2,... (checkpoint steps)
  /// curvature.KEY=VALUE overrides of the run's [curvature] settings (e.g. end measures in
  /// float64 on a larger probe set); any other key is a core::UsageError.
  std::vector<std::string> assignments;
  /// File name in the run directory the records are merged into (empty: curvature.jsonl).
  std::string records;
  int threads = 0;                ///< intra-op threads; 0: the run's train.threads
  bool quiet = false;             ///< no progress lines on stderr
};

/// What the offline probes added.
struct OfflineProbeSummary {
  std::int64_t added = 0;            ///< new records
  std::int64_t already_present = 0;  ///< records the run had
  std::filesystem::path curvature;   ///< the merged curvature.jsonl
};

/// Probes the checkpoints of the run selected by `selection` that have no record yet in the
/// records file, with the run's own [curvature] settings changed by `assignments`, and merges the
/// records into that file in step order. Throws core::DataError when run_dir is not a run
/// directory, core::UsageError for a bad selection, assignment or records name.
OfflineProbeSummary probe_checkpoints(const OfflineProbeRequest& request);

}  // namespace curvtrack::runner
