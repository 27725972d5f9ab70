#include "curvtrack/runs/meta.hpp"

#include <unistd.h>

#include <cstdlib>
#include <ctime>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"

namespace curvtrack::runs {

RunMeta::RunMeta(std::filesystem::path path) : path_(std::move(path)) {
  if (!std::filesystem::exists(path_)) return;
  try {
    data_ = nlohmann::json::parse(core::read_file(path_));
  } catch (const nlohmann::json::exception& error) {
    throw core::DataError(path_.string() + " is not valid JSON: " + error.what());
  }
  if (!data_.is_object()) throw core::DataError(path_.string() + " is not a JSON object");
  // The fields that are read back: a wrong type is a damaged file, named here rather than
  // surfacing later as a JSON type error without a file name.
  auto check = [&](const char* key, bool (nlohmann::json::*is_type)() const noexcept, const char* type) {
    if (data_.contains(key) && !(data_[key].*is_type)()) {
      throw core::DataError(path_.string() + ": \"" + key + "\" is " + data_[key].dump().substr(0, 40) + ", not " + type);
    }
  };
  check("status", &nlohmann::json::is_string, "a string");
  check("processes", &nlohmann::json::is_number_integer, "an integer");
  check("checkpoint_step", &nlohmann::json::is_number_integer, "an integer");
  check("train_seconds", &nlohmann::json::is_number, "a number");
  check("probe_seconds", &nlohmann::json::is_number, "a number");
}

void RunMeta::save() const { core::write_file_atomically(path_, data_.dump(2) + "\n"); }

nlohmann::json environment_info() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  nlohmann::json info = {{"host", host}, {"pid", ::getpid()}};
  for (const char* name : {"SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_PROCID",
                           "SLURM_NTASKS", "SLURM_RESTART_COUNT"}) {
    if (const char* value = std::getenv(name)) info[name] = value;
  }
  return info;
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace curvtrack::runs
