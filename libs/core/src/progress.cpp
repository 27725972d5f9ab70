#include "curvtrack/core/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <utility>

namespace curvtrack::core {

Progress::Progress(std::string label, std::int64_t total, bool quiet,
                   std::chrono::seconds log_every)
    : label_(std::move(label)),
      total_(total),
      quiet_(quiet),
      terminal_(::isatty(STDERR_FILENO) != 0),
      log_every_(log_every),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

void Progress::update(std::int64_t done, const std::string& detail) {
  last_done_ = done;
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  auto interval = terminal_ ? std::chrono::milliseconds(100)
                            : std::chrono::duration_cast<std::chrono::milliseconds>(log_every_);
  if (now - last_print_ < interval) return;
  last_print_ = now;
  print(done, detail, false);
}

void Progress::finish(const std::string& detail) {
  if (quiet_) return;
  print(last_done_, detail, true);
}

void Progress::print(std::int64_t done, const std::string& detail, bool final_line) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  char buffer[256];
  if (total_ > 0 && rate > 0 && !final_line) {
    double eta = static_cast<double>(total_ - done) / rate;
    std::snprintf(buffer, sizeof buffer, "%s: %lld/%lld (%.1f/s, ETA %.0fs)", label_.c_str(),
                  static_cast<long long>(done), static_cast<long long>(total_), rate, eta);
  } else if (total_ > 0) {
    std::snprintf(buffer, sizeof buffer, "%s: %lld of %lld in %.1fs", label_.c_str(),
                  static_cast<long long>(done), static_cast<long long>(total_), elapsed);
  } else {  // open-ended work: "spectrum: 44 HVPs in 10.1s"
    std::snprintf(buffer, sizeof buffer, "%s: %lld%s%s in %.1fs", label_.c_str(), static_cast<long long>(done),
                  detail.empty() ? "" : " ", detail.c_str(), elapsed);
  }
  std::string line = buffer;
  if (!detail.empty() && total_ > 0) line += " " + detail;
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace curvtrack::core
