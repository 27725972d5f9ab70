#pragma once
// Progress on long work: a live line on a terminal, plain periodic lines in batch logs.

#include <chrono>
#include <cstdint>
#include <string>

namespace curvtrack::core {

/// Reports "label: done/total (rate, ETA)" to stderr. On a terminal the line is redrawn in
/// place (at most 10 times a second); otherwise a line is printed at most every `log_every`.
class Progress {
 public:
  /// `total` may be 0 when unknown. `quiet` silences everything.
  Progress(std::string label, std::int64_t total, bool quiet = false,
           std::chrono::seconds log_every = std::chrono::seconds(10));
  /// Records that `done` units are complete; `detail` is appended to the line.
  void update(std::int64_t done, const std::string& detail = "");
  /// Prints the final line (on a terminal, ends the live line).
  void finish(const std::string& detail = "");

 private:
  void print(std::int64_t done, const std::string& detail, bool final_line);

  std::string label_;
  std::int64_t total_;
  bool quiet_;
  bool terminal_;
  std::chrono::seconds log_every_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
  std::int64_t last_done_ = 0;
};

}  // namespace curvtrack::core
