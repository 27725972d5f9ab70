#pragma once
// The output folder: a report is written into a hidden staging folder next to it and renamed into
// place at the end, so the folder holds either a complete report or the previous one.

#include <filesystem>

namespace curvtrack::report {

/// The hidden folder .OUT.partial-PID next to `out` that a report is written into.
class Staging {
 public:
  /// Creates the folder with figures/ and tables/ (emptied first); throws core::DataError naming it and `out`.
  explicit Staging(const std::filesystem::path& out);
  /// Removes the folder unless committed().
  ~Staging();
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  /// The staging folder.
  const std::filesystem::path& path() const { return path_; }
  /// The folder was moved into place: keep it.
  void committed() { committed_ = true; }

 private:
  std::filesystem::path path_;
  bool committed_ = false;
};

/// Throws core::UsageError when `out` exists and is neither an empty folder nor a report.
void check_replaceable(const std::filesystem::path& out);

/// Renames `staged` to `out` (an earlier report there is moved aside, then removed); throws core::DataError naming `out`.
void move_into_place(const std::filesystem::path& staged, const std::filesystem::path& out);

}  // namespace curvtrack::report
