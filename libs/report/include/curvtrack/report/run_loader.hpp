#pragma once
// Reading run directories for the comparison report: config.ini (arm and seed), meta.json
// (status), metrics.csv, curvature.jsonl and the optional LR-finder output. A directory that
// cannot be read is reported by name with the reason, never fatal; a study output root is
// searched for the run directories below it.

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "curvtrack/runs/curvature_record.hpp"
#include "curvtrack/runs/meta.hpp"
#include "curvtrack/runs/metrics_table.hpp"

namespace curvtrack::report {

/// One run directory as the report reads it.
struct LoadedRun {
  std::filesystem::path dir;                   ///< the run directory
  std::string arm;                             ///< run.name (config.ini, else meta.json "run")
  std::int64_t seed = 0;                       ///< run.seed
  std::string status;                          ///< meta.json status; "unknown" when absent
  std::int64_t total_steps = 0;                ///< meta.json total_steps (else the last metrics step; 0: unknown)
  runs::MetaRecord meta;                       ///< meta.json as read
  std::map<std::string, std::string> config;   ///< config.ini as "section.key" -> value
  std::vector<runs::MetricsRow> metrics;       ///< metrics.csv rows (empty when absent)
  std::vector<runs::CurvatureRecord> curvature;  ///< curvature.jsonl records in step order (stop markers aside)
  std::string probing_stopped;                 ///< the "probing_stopped" message of a diverged run
  std::vector<runs::MetricsRow> lrfind;        ///< lrfind.csv rows (iteration, lr, loss, smoothed, accuracy)
  nlohmann::json lrfind_meta;                  ///< lrfind.json; null when absent
  std::vector<std::string> notes;              ///< problems that do not stop the run from being listed
  /// Damage that makes a completed run's end unknown (a torn last record in curvature.jsonl or
  /// metrics.csv: a crash mid-write that no resume will repair). The run is listed with it as a
  /// note and left out of every comparison.
  std::vector<std::string> damage;
};

/// A directory that could not be read as a run, with the reason.
struct SkippedRun {
  std::filesystem::path dir;  ///< as found or given
  std::string reason;         ///< e.g. "no meta.json"
};

/// What load_runs found: readable runs (in the order found) and the skipped directories.
struct RunSet {
  std::vector<LoadedRun> runs;       ///< readable runs, duplicates of (arm, seed) removed
  std::vector<SkippedRun> skipped;   ///< unreadable or duplicate directories
};

/// Reads a config.ini with core::parse_ini: `key = value` lines under `[section]` headers become
/// "section.key". Throws core::DataError naming the file and line for a line that breaks the
/// INI rules (core/ini.hpp), or when the file cannot be read.
std::map<std::string, std::string> read_ini(const std::filesystem::path& path);

/// Reads one run directory. Throws core::DataError with a short reason (no path) when it has no
/// meta.json, no arm or seed, or a malformed file; missing metrics.csv or curvature.jsonl
/// only add notes (a run that failed early is still listed).
LoadedRun load_run(const std::filesystem::path& dir);

/// True when the run's curvature.test_probe evaluates on the training split ("train:..."): its
/// records' test_probe is then the fit on training images, not a test measure.
bool test_probe_on_training_split(const LoadedRun& run);

/// Loads every argument: a run directory (holds meta.json) or a folder searched below for
/// them. Folders with run files but no meta.json, missing arguments, unreadable runs and a
/// second run of the same (arm, seed) are returned as skipped, with the reason.
RunSet load_runs(const std::vector<std::filesystem::path>& arguments);

}  // namespace curvtrack::report
