#include "test_prelude.hpp"

#include <filesystem>
#include <regex>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/report/report_writer.hpp"
#include "synthetic_runs.hpp"
#include "test_support.hpp"

using namespace curvtrack::report;
using curvtrack::testing::slurp;
using curvtrack::testing::TempDir;
using curvtrack::testing::write_study;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

ReportResult report_on(const fs::path& study, const fs::path& out, std::vector<std::string> arm_order) {
  ReportOptions options;
  options.out = out;
  options.render = false;
  options.arm_order = std::move(arm_order);
  return write_report({study}, options);
}

// Renames every run's arm (config.ini run.name): the data stays the same, only the names change.
void rename_arms(const fs::path& study, const std::string& from, const std::string& to) {
  for (const auto& entry : fs::recursive_directory_iterator(study)) {
    if (entry.path().filename() != "config.ini") continue;
    std::string text = slurp(entry.path());
    text = std::regex_replace(text, std::regex("name = " + from + "\n"), "name = " + to + "\n");
    curvtrack::core::write_file_atomically(entry.path(), text);
  }
}

std::string renamed(std::string text, const std::vector<std::pair<std::string, std::string>>& names) {
  for (const auto& [from, to] : names) text = std::regex_replace(text, std::regex(from), to);
  return text;
}

}  // namespace

TEST_CASE("default_arms ranks the preferred arms first, in their order, then the rest alphabetically", "[unit]") {
  CHECK(default_arms({"sgdr", "step", "cosine"}, {"step"}) == std::make_pair(std::string("step"), std::string("cosine")));
  CHECK(default_arms({"sgdr", "step", "cosine"}, {"sgdr", "step"}) == std::make_pair(std::string("sgdr"), std::string("step")));
  CHECK(default_arms({"b", "a", "b"}, {}) == std::make_pair(std::string("a"), std::string("b")));
  CHECK(default_arms({"onecycle", "constant"}, {"absent", "onecycle"}) ==
        std::make_pair(std::string("onecycle"), std::string("constant")));
  CHECK(default_arms({"x", "x"}, {"x"}).first.empty());
}

TEST_CASE("arms with other names compare the same once arm_order names them", "[unit]") {
  TempDir scratch;
  const fs::path study = scratch.path() / "study";
  write_study(study, 4, 0.5);
  auto before = report_on(study, scratch.path() / "before", {"constant", "onecycle"});
  rename_arms(study, "constant", "flat");
  rename_arms(study, "onecycle", "cyclic");

  // Without an order the names decide: alphabetically, cyclic is the baseline.
  auto alphabetical = report_on(study, scratch.path() / "alphabetical", {});
  CHECK(alphabetical.baseline == "cyclic");
  CHECK(alphabetical.compared == "flat");

  auto after = report_on(study, scratch.path() / "after", {"flat", "cyclic"});
  CHECK(after.baseline == "flat");
  CHECK(after.compared == "cyclic");
  const std::vector<std::pair<std::string, std::string>> names = {{"constant", "flat"}, {"onecycle", "cyclic"}};
  REQUIRE(after.verdicts.size() == before.verdicts.size());
  for (std::size_t i = 0; i < after.verdicts.size(); ++i) CHECK(after.verdicts[i] == renamed(before.verdicts[i], names));
  for (const char* table : {"comparison.csv", "pairs.csv"}) {
    INFO(table);
    CHECK(slurp(scratch.path() / "after" / "tables" / table) ==
          renamed(slurp(scratch.path() / "before" / "tables" / table), names));
  }
  const std::string md = slurp(scratch.path() / "after" / "report.md");
  CHECK_THAT(md, Contains("# cyclic vs flat: flatness at equal budget"));
  CHECK(md.find("| flat | 0 |") < md.find("| cyclic | 0 |"));
}
