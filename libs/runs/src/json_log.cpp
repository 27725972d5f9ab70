#include "curvtrack/runs/json_log.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "lines.hpp"

namespace curvtrack::runs {
namespace {

nlohmann::json parse_record(const std::string& line, const std::filesystem::path& path, std::size_t number) {
  nlohmann::json record;
  try {
    record = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception&) {
    throw core::DataError(path.string() + ":" + std::to_string(number) + ": not a JSON record");
  }
  if (!record.is_object() || !record.contains("step") || !record["step"].is_number_integer()) {
    throw core::DataError(path.string() + ":" + std::to_string(number) + ": record without an integer \"step\"");
  }
  return record;
}

}  // namespace

JsonLog::JsonLog(std::filesystem::path path, std::optional<std::int64_t> resume_step) : path_(std::move(path)) {
  core::check_output_file(path_);  // before reading: a FIFO would block, a device would take the records
  if (std::filesystem::exists(path_)) {
    std::string text = core::read_file(path_);
    std::vector<std::string> lines = detail::complete_lines(text);
    std::size_t number = 0;
    auto step_of = [&](const std::string& line) {
      return parse_record(line, path_, ++number)["step"].get<std::int64_t>();
    };
    std::string kept = detail::lines_before_step(lines, 0, resume_step.value_or(INT64_MAX), step_of);
    if (kept != text) core::write_file_atomically(path_, kept);
  }
  file_ = std::fopen(path_.c_str(), "a");
  if (file_ == nullptr) throw core::DataError("cannot append to " + path_.string() + ": " + std::strerror(errno));
}

JsonLog::~JsonLog() {
  if (file_ != nullptr) std::fclose(file_);
}

void JsonLog::append(const nlohmann::json& record) {
  std::string line = record.dump() + "\n";
  if (std::fputs(line.c_str(), file_) < 0 || std::fflush(file_) != 0) {
    throw core::DataError("cannot write " + path_.string() + ": " + std::strerror(errno));
  }
}

std::vector<nlohmann::json> read_json_log(const std::filesystem::path& path) {
  std::vector<nlohmann::json> records;
  std::size_t number = 0;
  for (const auto& line : detail::complete_lines(core::read_file(path))) records.push_back(parse_record(line, path, ++number));
  return records;
}

}  // namespace curvtrack::runs
