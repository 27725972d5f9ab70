#pragma once
// meta.json: versions, host, threads, Slurm ids, times, status and cost totals of a run.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace curvtrack::runs {

/// A run's status (architecture.md): running, completed, diverged, failed, preempted.
namespace status {
inline constexpr const char* kRunning = "running";
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kDiverged = "diverged";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kPreempted = "preempted";
}  // namespace status

/// meta.json as a JSON object, loaded if present and rewritten atomically by save().
class RunMeta {
 public:
  /// Loads `path` when it exists (core::DataError naming it when it is not valid JSON).
  explicit RunMeta(std::filesystem::path path);
  nlohmann::json& data() { return data_; }
  const nlohmann::json& data() const { return data_; }
  /// Writes the object atomically.
  void save() const;

 private:
  std::filesystem::path path_;
  nlohmann::json data_ = nlohmann::json::object();
};

/// Host name, process id and the Slurm job/array/task ids found in the environment.
nlohmann::json environment_info();

/// The current time as ISO 8601 UTC ("2026-11-29T17:30:00Z").
std::string utc_now();

}  // namespace curvtrack::runs
