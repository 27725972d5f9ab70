#pragma once
// curvature.jsonl: one JSON object per line with a "step" field, appended and flushed as
// records are made, cut back to a checkpoint's step on resume.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace curvtrack::runs {

/// Appends JSON records to a file, one per line.
class JsonLog {
 public:
  /// Opens `path` for appending; with `resume_step`, records with step >= it are dropped first
  /// (atomically), as is a torn last line.
  explicit JsonLog(std::filesystem::path path, std::optional<std::int64_t> resume_step = std::nullopt);
  ~JsonLog();
  JsonLog(const JsonLog&) = delete;
  JsonLog& operator=(const JsonLog&) = delete;
  /// Writes one record (must be an object with an integer "step") and flushes it.
  void append(const nlohmann::json& record);

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
};

/// Reads every complete record; throws core::DataError naming the file and line for a line
/// that is not a JSON object with a "step". A torn last line (no newline) is ignored.
std::vector<nlohmann::json> read_json_log(const std::filesystem::path& path);

}  // namespace curvtrack::runs
