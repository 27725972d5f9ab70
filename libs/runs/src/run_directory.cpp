#include "curvtrack/runs/run_directory.hpp"

#include <algorithm>
#include <regex>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"

namespace curvtrack::runs {
namespace {

// checkpoints/ must be a folder (or absent): anything else there is named, not blamed on the run directory.
void check_checkpoints_folder(const std::filesystem::path& checkpoints) {
  std::error_code error;
  std::filesystem::file_status status = std::filesystem::status(checkpoints, error);
  if (!std::filesystem::exists(status) || std::filesystem::is_directory(status)) return;
  const char* kind = std::filesystem::is_regular_file(status) ? " is a regular file, not a folder" : " is not a folder";
  throw core::DataError(checkpoints.string() + kind +
                        ": a run keeps its checkpoints in a folder of that name (move it away or use another run directory)");
}

}  // namespace

std::filesystem::path RunDirectory::checkpoint(std::int64_t step) const {
  return checkpoints() / ("step-" + std::to_string(step) + ".pt");
}

void RunDirectory::create() const {
  check_checkpoints_folder(checkpoints());
  std::error_code error;
  std::filesystem::create_directories(checkpoints(), error);
  if (error) throw core::DataError("cannot create run directory " + root_.string() + ": " + error.message());
}

std::optional<std::int64_t> RunDirectory::latest_step() const {
  check_checkpoints_folder(checkpoints());
  if (!std::filesystem::exists(latest())) return std::nullopt;
  std::string text = core::trim(core::read_file(latest()));
  std::int64_t step = 0;
  try {
    step = core::parse_int(text, "LATEST");
  } catch (const core::UsageError&) {
    throw core::DataError(latest().string() + " is corrupt: expected a step number, found '" +
                          text.substr(0, 40) + "'");
  }
  if (step < 0) throw core::DataError(latest().string() + " is corrupt: negative step " + text);
  if (!std::filesystem::exists(checkpoint(step))) {
    throw core::DataError(latest().string() + " names step " + text + " but " + checkpoint(step).string() +
                          " does not exist");
  }
  return step;
}

std::vector<std::int64_t> RunDirectory::checkpoint_steps() const {
  std::vector<std::int64_t> steps;
  check_checkpoints_folder(checkpoints());
  if (!std::filesystem::is_directory(checkpoints())) return steps;
  static const std::regex pattern("step-([0-9]+)\\.pt");
  for (const auto& entry : std::filesystem::directory_iterator(checkpoints())) {
    std::smatch match;
    std::string name = entry.path().filename().string();
    if (std::regex_match(name, match, pattern)) steps.push_back(std::stoll(match[1].str()));
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

void RunDirectory::set_latest(std::int64_t step) const {
  core::write_file_atomically(latest(), std::to_string(step) + "\n");
}

bool RunDirectory::has_content() const {
  return std::filesystem::is_directory(root_) && !std::filesystem::is_empty(root_);
}

}  // namespace curvtrack::runs
