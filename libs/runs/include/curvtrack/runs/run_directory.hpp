#pragma once
// The layout of one run directory (README.md, "Run directories and configs").

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace curvtrack::runs {

/// Paths inside a run directory; creates nothing by itself.
class RunDirectory {
 public:
  explicit RunDirectory(std::filesystem::path root) : root_(std::move(root)) {}
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path config() const { return root_ / "config.ini"; }
  std::filesystem::path meta() const { return root_ / "meta.json"; }
  std::filesystem::path metrics() const { return root_ / "metrics.csv"; }
  std::filesystem::path curvature() const { return root_ / "curvature.jsonl"; }
  std::filesystem::path probe() const { return root_ / "probe.txt"; }
  std::filesystem::path lrfind() const { return root_ / "lrfind.csv"; }
  std::filesystem::path checkpoints() const { return root_ / "checkpoints"; }
  std::filesystem::path latest() const { return checkpoints() / "LATEST"; }
  /// checkpoints/step-N.pt
  std::filesystem::path checkpoint(std::int64_t step) const;

  /// Creates the directory and checkpoints/; throws std::runtime_error naming the path.
  void create() const;
  /// The step LATEST points to, if it names an existing checkpoint; throws core::DataError
  /// naming the file when LATEST exists but is malformed.
  std::optional<std::int64_t> latest_step() const;
  /// Steps of every checkpoints/step-N.pt present, ascending.
  std::vector<std::int64_t> checkpoint_steps() const;
  /// Points LATEST at `step` (atomically).
  void set_latest(std::int64_t step) const;
  /// True when the directory exists and holds anything.
  bool has_content() const;

 private:
  std::filesystem::path root_;
};

}  // namespace curvtrack::runs
