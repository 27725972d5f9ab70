#pragma once
// A prepared run trained to its end: meta.json opened and closed, metrics and curvature
// records written, signals and the wall-clock budget honoured, failures marked in meta.json.

#include <string>

#include "curvtrack/ranks/process_group.hpp"
#include "curvtrack/runner/prepared_run.hpp"
#include "curvtrack/train/trainer.hpp"

namespace curvtrack::runner {

/// How a command wants the run trained.
struct TrainingRequest {
  double max_seconds = 0;  ///< wall-clock budget for this process (0: none); checkpoint and stop before it
  bool quiet = false;      ///< no progress or summary on stderr
};

/// How training ended and how long it took.
struct TrainingResult {
  train::TrainOutcome outcome;
  double seconds = 0;  ///< wall-clock seconds of this process's training (probes included)
};

/// Trains `prepared` with `resources` over `group`'s ranks: resumes from prepared.resume_step,
/// probes at the configured points, and records the run's start and end in meta.json (a
/// failure is marked there before the exception goes on). Every check that can fail runs
/// before the run directory is written. Only rank 0 writes the run directory.
TrainingResult train_run(PreparedRun& prepared, RunResources& resources, const ranks::ProcessGroup& group,
                         const TrainingRequest& request);

}  // namespace curvtrack::runner
