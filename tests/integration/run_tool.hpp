#pragma once
// Runs the real curvtrack executable, as a user would, and captures what it prints.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace curvtrack::testing {

/// What one run of the tool returned.
struct ToolRun {
  int exit_code;
  std::string out;   ///< stdout
  std::string err;   ///< stderr
};

/// How a spawned tool starts, beyond its arguments.
struct SpawnOptions {
  /// Environment variables set in the child (NAME, VALUE), on top of the test's environment.
  std::vector<std::pair<std::string, std::string>> environment;
  /// The child leads its own process group (kill(-pid, SIG) reaches it and the group it starts).
  bool own_process_group = false;
  /// RLIMIT_FSIZE in bytes with SIGXFSZ ignored, so a write past it fails with EFBIG (a full
  /// disk for one file); -1: no limit.
  std::int64_t file_size_limit = -1;
};

/// Runs `curvtrack ARGS...` (arguments are shell-quoted) and waits for it.
ToolRun run_tool(const std::vector<std::string>& arguments);

/// Runs `curvtrack ARGS...` without a shell, started as `options` says, and waits for it;
/// exit_code is -N when the tool was killed by signal N (a crash).
ToolRun run_tool(const std::vector<std::string>& arguments, const SpawnOptions& options);

/// Starts `curvtrack ARGS...` in the background (stdout and stderr to files in `log_dir`); returns its pid.
int spawn_tool(const std::vector<std::string>& arguments, const std::filesystem::path& log_dir,
               const SpawnOptions& options = {});

/// Waits for a spawned tool: its exit code, or -N when killed by signal N.
int wait_tool(int pid);


/// The complete records of a curvature.jsonl (a torn last line is left out) without their
/// wall-clock fields ("seconds" at any depth): what a resumed run must reproduce exactly.
std::vector<nlohmann::json> curvature_records(const std::filesystem::path& path);

/// The local Slurm cluster's slurm.conf, starting it with scripts/slurm-local.sh if need be;
/// "" (after a Catch2 warning) where Slurm is not installed or does not start.
std::string local_slurm_conf();

/// A run directory's meta.json ({} when it is missing or not JSON, e.g. before the run began).
nlohmann::json meta_of(const std::filesystem::path& run_dir);

/// Path of a model under tests/fixtures/models.
std::string fixture_model(const std::string& name);

}  // namespace curvtrack::testing
