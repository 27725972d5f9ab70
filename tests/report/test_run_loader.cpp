#include "test_prelude.hpp"

#include <filesystem>
#include <fstream>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/report/run_loader.hpp"
#include "synthetic_runs.hpp"
#include "test_support.hpp"

using curvtrack::report::load_run;
using curvtrack::report::load_runs;
using curvtrack::report::read_ini;
using curvtrack::testing::TempDir;
using curvtrack::testing::SyntheticRun;
using curvtrack::testing::write_synthetic_run;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string reason_for(const curvtrack::report::RunSet& set, const fs::path& dir) {
  for (const auto& skipped : set.skipped) {
    if (skipped.dir == dir) return skipped.reason;
  }
  return "(not skipped)";
}

}  // namespace

TEST_CASE("read_ini joins section and key and drops comments", "[unit]") {
  TempDir scratch;
  write(scratch.path() / "config.ini",
        "# comment\n[run]\nname = onecycle   # the arm\nseed=7\n\n[schedule]\n; other comment\npolicy = onecycle\nlr =\n");
  auto values = read_ini(scratch.path() / "config.ini");
  CHECK(values.at("run.name") == "onecycle");
  CHECK(values.at("run.seed") == "7");
  CHECK(values.at("schedule.policy") == "onecycle");
  CHECK(values.at("schedule.lr").empty());
  CHECK(values.size() == 4);
}

TEST_CASE("read_ini names the file and line of a malformed line", "[unit]") {
  TempDir scratch;
  write(scratch.path() / "config.ini", "[run]\nname = a\nthis is not a key\n");
  CHECK_THROWS_WITH(read_ini(scratch.path() / "config.ini"), Contains("config.ini:3"));
}

TEST_CASE("read_ini keeps a semicolon inside a value and reports INI errors as data errors", "[unit]") {
  TempDir scratch;
  write(scratch.path() / "config.ini", "\xEF\xBB\xBF[data]\r\nname = synthetic:a;b ; comment\r\n");
  CHECK(read_ini(scratch.path() / "config.ini").at("data.name") == "synthetic:a;b");
  write(scratch.path() / "config.ini", std::string("[run]\nname = a\n\x00\x01", 17));
  CHECK_THROWS_AS(read_ini(scratch.path() / "config.ini"), curvtrack::core::DataError);  // exit 3, as before
  CHECK_THROWS_WITH(read_ini(scratch.path() / "config.ini"), Contains("config.ini:3: binary"));
  write(scratch.path() / "config.ini", "seed = 1\n[run]\nname = a\n");
  CHECK_THROWS_WITH(read_ini(scratch.path() / "config.ini"), Contains("config.ini:1: key 'seed' comes before any [section]"));
}

TEST_CASE("load_run reads arm, seed, status, metrics, probes and the diverged marker", "[unit]") {
  TempDir scratch;
  SyntheticRun run;
  run.arm = "onecycle";
  run.seed = 4;
  run.status = "diverged";
  write_synthetic_run(scratch.path() / "r", run);
  auto loaded = load_run(scratch.path() / "r");
  CHECK(loaded.arm == "onecycle");
  CHECK(loaded.seed == 4);
  CHECK(loaded.status == "diverged");
  CHECK(loaded.total_steps == 100);
  CHECK(loaded.metrics.size() == 4);       // steps 0, 10, 20, 30
  CHECK(loaded.curvature.size() == 1);     // the probe at step 0; the stop marker is taken out
  CHECK_THAT(loaded.probing_stopped, Contains("diverged at step 39"));
  CHECK(loaded.config.at("schedule.policy") == "onecycle");
}

TEST_CASE("load_run falls back to meta.json run name and seed without config.ini", "[unit]") {
  TempDir scratch;
  write_synthetic_run(scratch.path() / "r", SyntheticRun{});
  fs::remove(scratch.path() / "r" / "config.ini");
  auto loaded = load_run(scratch.path() / "r");
  CHECK(loaded.arm == "constant");
  CHECK(loaded.seed == 0);
  REQUIRE(loaded.notes.size() == 1);
  CHECK_THAT(loaded.notes[0], Contains("no config.ini"));
}

TEST_CASE("load_runs searches a study root and reports partial, missing, corrupt and duplicate runs by name", "[unit]") {
  TempDir scratch;
  const fs::path root = scratch.path() / "study";
  SyntheticRun a;
  write_synthetic_run(root / "constant" / "seed-0", a);
  a.seed = 1;
  write_synthetic_run(root / "constant" / "seed-1", a);
  a.arm = "onecycle";
  write_synthetic_run(root / "onecycle" / "seed-1", a);
  write(root / "onecycle" / "seed-2" / "config.ini", "[run]\nname = onecycle\nseed = 2\n");  // no meta.json yet
  write_synthetic_run(root / "onecycle" / "seed-3", a);
  write(root / "onecycle" / "seed-3" / "metrics.csv", "step,train_loss\n0,1,2\n");            // corrupt
  write_synthetic_run(root / "copy" / "seed-1", a);                                           // onecycle seed 1 again
  write(root / "onecycle" / "seed-1" / "checkpoints" / "meta.json", "{}");                  // never searched
  const fs::path missing = scratch.path() / "nowhere";
  const fs::path empty = scratch.path() / "empty";
  fs::create_directories(empty);

  auto set = load_runs({root, missing, empty, root / "constant" / "seed-0"});
  CHECK(set.runs.size() == 3);
  CHECK(reason_for(set, root / "onecycle" / "seed-2") == "no meta.json");
  CHECK_THAT(reason_for(set, root / "onecycle" / "seed-3"), Contains("metrics.csv is malformed"));
  CHECK(reason_for(set, missing) == "does not exist");
  CHECK_THAT(reason_for(set, empty), Contains("no meta.json"));
  // Found as root/copy/seed-1 first (sorted search), so the onecycle folder is the duplicate.
  CHECK_THAT(reason_for(set, root / "onecycle" / "seed-1"), Contains("duplicate of arm 'onecycle' seed 1"));
  CHECK(set.skipped.size() == 5);  // the same run directory given twice is read once, silently
}
