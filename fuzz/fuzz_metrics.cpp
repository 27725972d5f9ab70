// runs::read_metrics on the input as metrics.csv, then the resume path (MetricsTable cutting
// the file back to a step), after which every remaining row must be before that step.
#include <cmath>
#include <set>

#include "curvtrack/core/text.hpp"
#include "curvtrack/runs/metrics_table.hpp"
#include "fuzz_common.hpp"

namespace {

constexpr std::int64_t kResumeStep = 8;

std::size_t complete_lines(const std::string& text) {
  std::size_t count = 0;
  for (char c : text) count += c == '\n';
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace curvtrack;
  const std::string text = fuzz::as_string(data, size);
  const std::filesystem::path path = fuzz::write_scratch("metrics.csv", text);

  std::vector<runs::MetricsRow> rows;
  if (fuzz::expect_rejections([&] { rows = runs::read_metrics(path); })) {
    FUZZ_CHECK(rows.size() + 1 == complete_lines(text));
  }

  // Resume with the file's own header as the columns, so that the header check passes.
  const std::vector<std::string> columns = core::split(text.substr(0, text.find('\n')), ',');
  if (columns.front() != "step" || text.find('\n') == std::string::npos) return 0;
  bool resumed = fuzz::expect_rejections([&] { runs::MetricsTable table(path, columns, kResumeStep); });
  if (!resumed) return 0;
  // A header naming "step" twice makes read_metrics keep the later column's value (not what the
  // cut looked at), so the property is checked only for headers with distinct names.
  if (std::set<std::string>(columns.begin(), columns.end()).size() != columns.size()) return 0;
  if (fuzz::expect_rejections([&] { rows = runs::read_metrics(path); })) {
    for (const runs::MetricsRow& row : rows) {
      auto step = row.find("step");
      FUZZ_CHECK(step != row.end());
      FUZZ_CHECK(!(step->second >= kResumeStep));
    }
  }
  return 0;
}
