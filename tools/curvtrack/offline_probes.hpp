#pragma once
// `curvtrack spectrum --run DIR`: the training-time curvature records computed afterwards from
// a run's saved checkpoints (e.g. in a separate batch job), merged into its curvature.jsonl.

#include <string>

#include "command_line.hpp"

namespace curvtrack::tool {

/// Probes the checkpoints of `run_dir` selected by `selection` (all | every:N | S1,S2,...)
/// that have no record yet, with the run's own [curvature] settings; returns the exit code.
int run_offline_probes(const std::string& run_dir, const std::string& selection, const RuntimeOptions& runtime);

}  // namespace curvtrack::tool
