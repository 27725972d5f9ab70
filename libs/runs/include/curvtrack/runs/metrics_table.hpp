#pragma once
// metrics.csv: one row per logged step, appended and flushed as training goes, cut back to a
// checkpoint's step on resume so a resumed run writes exactly the rows an uninterrupted one would.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace curvtrack::runs {

/// One row: column name -> value (missing columns are written empty).
using MetricsRow = std::map<std::string, double>;

/// Appends rows with a fixed header to a CSV file.
class MetricsTable {
 public:
  /// Opens `path` for appending with these columns (the first must be "step"). An existing file
  /// must have the same header (else core::DataError); rows with step >= `resume_step` are
  /// dropped first (atomically), so the file ends where the checkpoint was taken.
  MetricsTable(std::filesystem::path path, std::vector<std::string> columns,
               std::optional<std::int64_t> resume_step = std::nullopt);
  ~MetricsTable();
  MetricsTable(const MetricsTable&) = delete;
  MetricsTable& operator=(const MetricsTable&) = delete;

  /// Writes one row and flushes it to the OS; values print with %.17g (round-trip exact).
  void append(const MetricsRow& row);

 private:
  std::filesystem::path path_;
  std::vector<std::string> columns_;
  std::FILE* file_ = nullptr;
};

/// Reads a metrics CSV into rows (empty cells are absent); throws core::DataError naming the
/// file and line for a malformed row. A torn last line (no newline) is ignored.
std::vector<MetricsRow> read_metrics(const std::filesystem::path& path);

}  // namespace curvtrack::runs
