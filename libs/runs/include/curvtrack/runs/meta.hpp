#pragma once
// meta.json: versions, host, threads, Slurm ids, times, status and cost totals of a run, as a
// typed record. Statuses are an enum inside the libraries and a word only in the file.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace curvtrack::runs {

/// How a run stands (docs/methods.md section 4.2: only completed runs are compared).
enum class RunStatus { kRunning, kCompleted, kDiverged, kFailed, kPreempted };

/// The word meta.json uses: running, completed, diverged, failed, preempted.
const std::string& status_name(RunStatus status);

/// The status `word` names; std::nullopt for any other word.
std::optional<RunStatus> parse_status(const std::string& word);

/// The model a run trains.
struct ModelInfo {
  std::string spec;            ///< the network's description
  std::int64_t parameters = 0;
};

/// The data a run trains and evaluates on.
struct DataInfo {
  std::string train;           ///< the training split's source (file or generator)
  std::int64_t train_examples = 0;
  std::int64_t test_examples = 0;
};

/// The ranks a run computes on.
struct RanksInfo {
  int count = 1;
  std::string backend;         ///< gloo | none
  std::string launcher;        ///< where the rank environment came from
  std::string split;           ///< how a batch is shared
};

/// Everything meta.json records; a field the file lacks is unset (or zero for counts).
struct MetaRecord {
  std::optional<RunStatus> status;
  std::optional<std::string> created;         ///< ISO 8601 UTC, first process
  std::optional<std::string> started;         ///< this process
  std::optional<std::string> ended;
  std::int64_t processes = 0;                 ///< processes that have worked on the run
  std::optional<std::string> git_revision;
  std::optional<std::string> curvtrack_version;
  std::optional<std::string> libtorch;
  std::optional<int> threads;
  std::optional<std::string> device;
  nlohmann::json environment;                 ///< host, pid and the Slurm ids found (null: not recorded)
  std::optional<std::string> run_name;        ///< "run": {"name", "seed"}
  std::optional<std::int64_t> run_seed;
  std::optional<std::int64_t> total_steps;
  std::optional<std::string> schedule;        ///< the schedule's one-line description
  std::optional<std::string> optimizer;       ///< the optimizer's one-line description
  std::optional<ModelInfo> model;
  std::optional<DataInfo> data;
  std::optional<RanksInfo> ranks;
  std::optional<double> lr_max_chosen;        ///< schedule.lr_max = auto: the rate in force
  std::optional<std::string> lrfind_rule;     ///< the rule that chose it
  std::optional<std::int64_t> resumed_from_step;
  std::optional<std::int64_t> checkpoint_step;  ///< latest checkpoint written
  std::optional<std::int64_t> steps_done;
  std::optional<std::string> stop_reason;     ///< why the last process stopped early
  std::optional<std::string> error;           ///< what failed, one line
  std::optional<double> train_seconds;        ///< training time over all processes, probes excluded
  std::optional<double> probe_seconds;
  std::optional<double> probe_over_train;
  /// Backward passes of the steps probed on their own graph (kept for the probe's products), over
  /// all processes: counted as training, since each replaces that step's own backward pass.
  std::optional<double> step_graph_seconds;
  nlohmann::json other = nlohmann::json::object();  ///< fields this version does not know, kept as read

  /// The file's JSON object: set fields only.
  nlohmann::json to_json() const;
  /// Reads a meta.json object; core::DataError naming `where` and the field for a wrong type.
  static MetaRecord from_json(const nlohmann::json& json, const std::string& where);
};

/// meta.json, loaded if present and rewritten atomically by save().
class RunMeta {
 public:
  /// Loads `path` when it exists (core::DataError naming it when it is not a valid record).
  explicit RunMeta(std::filesystem::path path);
  MetaRecord& record() { return record_; }
  const MetaRecord& record() const { return record_; }
  /// Writes the record atomically.
  void save() const;

 private:
  std::filesystem::path path_;
  MetaRecord record_;
};

/// Host name, process id and the Slurm job/array/task ids found in the environment.
nlohmann::json environment_info();

/// The current time as ISO 8601 UTC ("2026-11-29T17:30:00Z").
std::string utc_now();

}  // namespace curvtrack::runs
