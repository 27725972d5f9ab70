#include "test_prelude.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../report/synthetic_runs.hpp"
#include "run_tool.hpp"

using curvtrack::testing::run_tool;
using curvtrack::testing::TempDir;
using curvtrack::testing::write_study;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

using curvtrack::testing::slurp;

const char* const kChromium = "/usr/bin/chromium";

// Lines of Chromium's stderr that report a page problem. With --enable-logging=stderr --v=0,
// every console message of the page (console.log/error, uncaught exceptions) is logged as
// "[pid:tid:time:INFO:CONSOLE:LINE] "message", source: URL (LINE)" by Debian's Chromium 12x,
// "...:CONSOLE(LINE)] ..." by older ones; uncaught exceptions read "Uncaught ...". Any such line
// counts (the report has no scripts, so it should log nothing). Chromium's own noise (dbus,
// GPU, sandbox warnings) is not about the page and is ignored.
std::vector<std::string> console_errors(const std::string& log) {
  std::vector<std::string> found;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find(":CONSOLE") != std::string::npos || line.find("CONSOLE(") != std::string::npos ||
        line.find("Uncaught") != std::string::npos) {
      found.push_back(line);
    }
  }
  return found;
}

}  // namespace

TEST_CASE("curvtrack report turns a study folder into a report and prints the verdicts", "[integration]") {
  TempDir dir;
  write_study(dir.path() / "study", 10, 0.5);
  fs::create_directories(dir.path() / "study" / "onecycle" / "seed-42");  // partial: config only
  std::ofstream(dir.path() / "study" / "onecycle" / "seed-42" / "config.ini") << "[run]\nname = onecycle\nseed = 42\n";
  const fs::path out = dir.path() / "report";
  auto run = run_tool({"report", (dir.path() / "study").string(), "--out", out.string(), "--title", "planted"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Contains("λmax at the end: onecycle is flatter than constant"));
  CHECK_THAT(run.out, Contains("report: " + (out / "report.md").string()));
  CHECK_THAT(run.err, Contains("skipped: " + (dir.path() / "study" / "onecycle" / "seed-42").string() + ": no meta.json"));
  const std::string md = slurp(out / "report.md");
  CHECK(md.rfind("# planted\n", 0) == 0);
  CHECK_THAT(md, Contains("seed-42: no meta.json"));
  REQUIRE(fs::exists(out / "report.html"));

  if (!fs::exists(kChromium)) {
    WARN("chromium not found at /usr/bin/chromium: the headless rendering check is skipped");
    return;
  }
  const fs::path shot = dir.path() / "shot.png";
  const fs::path log = dir.path() / "chromium.log";
  // No network: every host name resolves to nothing, so a stray external reference cannot load.
  std::string command = std::string("timeout 120 ") + kChromium +
                        " --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
                        " --host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir='" + (dir.path() / "profile").string() +
                        "' --enable-logging=stderr --v=0 --screenshot='" + shot.string() +
                        "' --window-size=1200,2000 'file://" + (out / "report.html").string() + "' >'" + log.string() +
                        "' 2>&1";
  int status = std::system(command.c_str());
  const std::string chromium_log = slurp(log);
  INFO("chromium exit status " << status << "\n" << chromium_log);
  CHECK(fs::exists(shot));
  if (fs::exists(shot)) CHECK(fs::file_size(shot) > 10000);
  CHECK(console_errors(chromium_log).empty());
}

TEST_CASE("curvtrack report without --out or run directories is a usage error", "[integration]") {
  TempDir dir;
  auto no_out = run_tool({"report", dir.path().string()});
  CHECK(no_out.exit_code == 2);
  CHECK_THAT(no_out.err, Contains("--out"));
  auto no_runs = run_tool({"report", "--out", (dir.path() / "r").string()});
  CHECK(no_runs.exit_code == 2);
  auto bad = run_tool({"report", dir.path().string(), "--out", (dir.path() / "r").string(), "--compare", "constant"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("A,B"));
}

TEST_CASE("curvtrack report on folders without runs writes a report that says so and exits 3", "[integration]") {
  TempDir dir;
  fs::create_directories(dir.path() / "empty");
  auto run = run_tool({"report", (dir.path() / "empty").string(), "--out", (dir.path() / "r").string()});
  CHECK(run.exit_code == 3);
  CHECK_THAT(run.err, Contains("no meta.json"));
  CHECK_THAT(slurp(dir.path() / "r" / "report.md"), Contains("Nothing to compare"));
}
