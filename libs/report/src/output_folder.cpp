#include "output_folder.hpp"

#include <unistd.h>

#include <string>

#include "curvtrack/core/errors.hpp"

namespace fs = std::filesystem;

namespace curvtrack::report {

Staging::Staging(const fs::path& out)
    : path_(out.parent_path() / ("." + out.filename().string() + ".partial-" + std::to_string(::getpid()))) {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
  std::error_code error;
  fs::create_directories(path_ / "figures", error);
  if (!error) fs::create_directories(path_ / "tables", error);
  if (error) {
    throw core::DataError("cannot write the report to " + out.string() + ": cannot create " + path_.string() + ": " +
                          error.message());
  }
}

Staging::~Staging() {
  if (!committed_) {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
}

// Never replace what may be someone's work: only an empty folder or an earlier report.
void check_replaceable(const fs::path& out) {
  std::error_code error;
  if (!fs::exists(out, error)) return;
  if (!fs::is_directory(out, error)) throw core::UsageError("--out " + out.string() + " exists and is not a folder");
  if (fs::is_empty(out, error) || fs::exists(out / "report.md", error)) return;
  throw core::UsageError("--out " + out.string() +
                         " exists and is neither empty nor a curvtrack report; refusing to replace it");
}

void move_into_place(const fs::path& staged, const fs::path& out) {
  check_replaceable(out);
  std::error_code error;
  fs::path old;
  if (fs::exists(out, error)) {
    old = out.parent_path() / ("." + out.filename().string() + ".old-" + std::to_string(::getpid()));
    fs::remove_all(old, error);
    fs::rename(out, old, error);
    if (error) throw core::DataError("cannot move the previous report " + out.string() + " aside: " + error.message());
  }
  fs::rename(staged, out, error);
  if (error) {
    std::error_code ignored;
    if (!old.empty()) fs::rename(old, out, ignored);
    throw core::DataError("cannot move the report into " + out.string() + ": " + error.message());
  }
  if (!old.empty()) fs::remove_all(old, error);
}

}  // namespace curvtrack::report
