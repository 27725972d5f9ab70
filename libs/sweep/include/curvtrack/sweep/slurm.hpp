#pragma once
// The Slurm backend: an array job over a study's unfinished runs (one task per run, requeued
// when preempted) and a report job that waits for it.

#include <filesystem>
#include <string>
#include <vector>

#include "curvtrack/sweep/study.hpp"

namespace curvtrack::sweep {

/// The array job template (scripts/slurm/array.sbatch.in, compiled in).
const char* array_sbatch_template();

/// What write_slurm_files wrote under OUT/slurm/.
struct SlurmFiles {
  std::filesystem::path folder;        ///< OUT/slurm
  std::filesystem::path runs;          ///< runs.txt: one run a line, shell-quoted: RUN_DIR train ARGS...
  std::filesystem::path array_script;  ///< array.sbatch (absent when no run is left to do)
  std::size_t tasks = 0;               ///< array size (lines of runs.txt)
  std::vector<std::string> lines;      ///< the lines of runs.txt
};

/// The runs.txt line of one run: run dir, then `train --config ... --run-dir DIR --resume auto`.
std::string runs_line(const Study& study, const StudyRun& run);

/// The --max-time passed to train under Slurm: the time limit less the signal margin, so that
/// a run checkpoints, exits 75 and is requeued before Slurm kills it; 0 (none) without a limit.
std::int64_t slurm_max_time(const SlurmSettings& slurm);

/// Fills the array template: `tasks` tasks, `curvtrack` the absolute path of the binary.
std::string array_script(const Study& study, std::size_t tasks, const std::filesystem::path& runs_file,
                         const std::filesystem::path& curvtrack);

/// The report job: runs `curvtrack report RUN_DIRS... --out OUT/report` after `after_job`
/// ended successfully (no dependency when `after_job` is empty).
std::string report_script(const Study& study, const std::vector<StudyRun>& runs, const std::string& after_job,
                          const std::filesystem::path& curvtrack);

/// Writes OUT/slurm/runs.txt and array.sbatch for the `todo` runs (the unfinished ones), and the
/// logs folder. Files are written atomically.
SlurmFiles write_slurm_files(const Study& study, const std::vector<StudyRun>& todo,
                             const std::filesystem::path& curvtrack);

/// Submits a script with `sbatch --parsable`; returns the job id. Throws std::runtime_error with
/// sbatch's exit code when it fails.
std::string submit(const std::filesystem::path& script);

}  // namespace curvtrack::sweep
