#include "curvtrack/runs/metrics_table.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "lines.hpp"

namespace curvtrack::runs {
namespace {

std::string header_line(const std::vector<std::string>& columns) { return core::join(columns, ",") + "\n"; }

std::string format_value(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

double parse_cell(const std::string& cell, const std::filesystem::path& path, std::size_t line) {
  if (cell == "nan") return NAN;
  if (cell == "inf") return INFINITY;
  if (cell == "-inf") return -INFINITY;
  char* end = nullptr;
  double value = std::strtod(cell.c_str(), &end);
  if (end == cell.c_str() || *end != '\0') {
    throw core::DataError(path.string() + ":" + std::to_string(line) + ": '" + cell + "' is not a number");
  }
  return value;
}

}  // namespace

MetricsTable::MetricsTable(std::filesystem::path path, std::vector<std::string> columns,
                           std::optional<std::int64_t> resume_step)
    : path_(std::move(path)), columns_(std::move(columns)) {
  if (columns_.empty() || columns_.front() != "step") throw std::invalid_argument("metrics columns must start with step");
  std::string header = header_line(columns_);
  core::check_output_file(path_);  // before reading: a FIFO would block, a device would take the rows
  if (std::filesystem::exists(path_)) {
    std::string text = core::read_file(path_);
    std::vector<std::string> lines = detail::complete_lines(text);
    if (lines.empty() || lines.front() + "\n" != header) {
      throw core::DataError(path_.string() + " has a different header than this run writes; expected: " +
                            core::trim(header));
    }
    auto step_of = [&](const std::string& line) {
      return core::parse_int(core::split(line, ',').front(), path_.string() + " step");
    };
    std::string kept = detail::lines_before_step(lines, 1, resume_step.value_or(INT64_MAX), step_of);
    if (kept != text) core::write_file_atomically(path_, kept);
  } else {
    core::write_file_atomically(path_, header);
  }
  file_ = std::fopen(path_.c_str(), "a");
  if (file_ == nullptr) throw core::DataError("cannot append to " + path_.string() + ": " + std::strerror(errno));
}

MetricsTable::~MetricsTable() {
  if (file_ != nullptr) std::fclose(file_);
}

void MetricsTable::append(const MetricsRow& row) {
  std::string line;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (i > 0) line += ",";
    auto found = row.find(columns_[i]);
    if (found != row.end()) line += format_value(found->second);
  }
  line += "\n";
  if (std::fputs(line.c_str(), file_) < 0 || std::fflush(file_) != 0) {
    throw core::DataError("cannot write " + path_.string() + ": " + std::strerror(errno));
  }
}

std::vector<MetricsRow> read_metrics(const std::filesystem::path& path) {
  std::vector<std::string> lines = detail::complete_lines(core::read_file(path));
  if (lines.empty()) throw core::DataError(path.string() + " is empty (no header)");
  std::vector<std::string> columns = core::split(lines.front(), ',');
  std::vector<MetricsRow> rows;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cells = core::split(lines[i], ',');
    if (cells.size() != columns.size()) {
      throw core::DataError(path.string() + ":" + std::to_string(i + 1) + ": " + std::to_string(cells.size()) +
                            " cells, header has " + std::to_string(columns.size()));
    }
    MetricsRow row;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (!cells[c].empty()) row[columns[c]] = parse_cell(cells[c], path, i + 1);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace curvtrack::runs
