#pragma once
// The local backend: a pool of concurrent `curvtrack train` child processes over a study's runs.

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "curvtrack/runs/meta.hpp"
#include "curvtrack/sweep/study.hpp"

namespace curvtrack::sweep {

/// What RUN_DIR/meta.json says of a run.
struct RunState {
  enum class Found { kNothing, kUnreadable, kRecorded };
  Found found = Found::kNothing;
  std::optional<runs::RunStatus> status;  ///< with kRecorded: the recorded status, if any
  /// For messages: "" (no meta.json), "unreadable", "unknown" (no status) or the status word.
  std::string word() const;
  /// A result (completed or diverged): the sweep does not run it again.
  bool finished() const;
};

/// Reads RUN_DIR/meta.json; never throws (a damaged file is kUnreadable).
RunState run_state(const std::filesystem::path& run_dir);

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
