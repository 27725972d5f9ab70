#pragma once
// The local backend: a pool of concurrent `curvtrack train` child processes over a study's runs.

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "curvtrack/sweep/study.hpp"

namespace curvtrack::sweep {

/// The status in RUN_DIR/meta.json: "" when there is none, "unreadable" when it is not valid JSON.
std::string run_status(const std::filesystem::path& run_dir);

/// True for a status that is a result (completed or diverged): the sweep does not run it again.
bool is_finished(const std::string& status);

/// How the local pool runs.
struct LocalPoolOptions {
  std::filesystem::path executable;  ///< the curvtrack binary (absolute)
  int jobs = 1;                      ///< concurrent runs
  int threads = 1;                   ///< --threads of each run
  int max_restarts = 3;              ///< a run that exits 75 on its own (not stopped by us) is resumed this often
  std::FILE* progress = stderr;      ///< progress lines; nullptr: none
};

/// The full argument vector of one run under the local pool (executable first).
std::vector<std::string> local_command(const Study& study, const StudyRun& run, const LocalPoolOptions& options);

/// What the pool did.
struct PoolResult {
  int exit_code = 0;                 ///< 0 all finished; 1 some failed; 75 stopped by SIGINT/SIGTERM
  int skipped = 0;                   ///< already completed or diverged before the pool started
  int completed = 0;                 ///< ended completed in this pool
  int diverged = 0;                  ///< ended diverged in this pool
  std::vector<std::string> failed;   ///< "ARM/seed-S: why (see LOG)"
  bool interrupted = false;          ///< SIGINT/SIGTERM arrived: children were sent TERM and waited for
};

/// Runs every unfinished run of `runs` (skipping completed and diverged ones, resuming others
/// with --resume auto), `options.jobs` at a time, each child's stdout+stderr appended to
/// RUN_DIR/train.log. SIGINT or SIGTERM to this process forwards TERM to the children (which
/// checkpoint and exit 75), waits for them and returns exit code 75. Holds an exclusive lock on
/// OUT/.sweep.lock while it runs (core::UsageError when another sweep holds it).
PoolResult run_local(const Study& study, const std::vector<StudyRun>& runs, const LocalPoolOptions& options);

}  // namespace curvtrack::sweep
