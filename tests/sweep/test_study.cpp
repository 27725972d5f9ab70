#include "test_prelude.hpp"

#include <filesystem>
#include <set>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/sweep/study.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using curvtrack::core::UsageError;
using curvtrack::sweep::expand;
using curvtrack::sweep::load_study;
using curvtrack::sweep::parse_seeds;
using curvtrack::sweep::Study;
using curvtrack::sweep::StudyRun;
using Catch::Matchers::Contains;

namespace {

// A temporary folder with a base config in studies/; study() writes studies/study.ini.
class StudyDir : public curvtrack::testing::TempDir {
 public:
  StudyDir() {
    fs::create_directories(path() / "studies");
    write("studies/base.ini", "[train]\nsteps = 10\n");
  }
  fs::path study(const std::string& text) const { return write("studies/study.ini", text); }
};

const std::string kTwoArms =
    "[study]\n"
    "name = quick\n"
    "base = base.ini            ; run config, relative to this file\n"
    "seeds = 0-2\n"
    "out = ../runs/quick   # output root\n"
    "[arm.constant]\n"
    "schedule.policy = constant\n"
    "schedule.lr = 0.05\n"
    "[arm.onecycle]\n"
    "schedule.policy = onecycle\n"
    "schedule.lr_max = 0.1\n"
    "[local]\n"
    "jobs = 2\n"
    "[slurm]\n"
    "partition =\n"
    "time = 00:30:00\n"
    "throttle = 4\n"
    "extra = --qos=debug;--mem=2G\n";

std::string value_of(const StudyRun& run, const std::string& key) {
  std::string found;
  for (const auto& assignment : run.overrides) {
    if (assignment.rfind(key + "=", 0) == 0) found = assignment.substr(key.size() + 1);
  }
  return found;
}

}  // namespace

TEST_CASE("a study file parses with paths resolved against its folder", "[unit]") {
  StudyDir dir;
  Study study = load_study(dir.study(kTwoArms));
  CHECK(study.name == "quick");
  CHECK(study.base == (dir.path() / "studies" / "base.ini").lexically_normal());
  CHECK(study.out == (dir.path() / "runs" / "quick").lexically_normal());
  CHECK(study.seeds == std::vector<std::int64_t>{0, 1, 2});
  REQUIRE(study.arms.size() == 2);
  CHECK(study.arms[0].name == "constant");
  CHECK(study.arms[0].overrides == std::vector<std::string>{"schedule.policy=constant", "schedule.lr=0.05"});
  CHECK(study.arms[1].name == "onecycle");
  CHECK(study.local.jobs == 2);
  CHECK(study.slurm.partition.empty());
  CHECK(study.slurm.time == "00:30:00");
  CHECK(study.slurm.throttle == 4);
  CHECK(study.slurm.signal_margin == 120);
  CHECK(study.slurm.extra == std::vector<std::string>{"--qos=debug", "--mem=2G"});
  CHECK_FALSE(study.report);
}

TEST_CASE("expansion is arms x seeds in arm order then seed order, one folder per run", "[unit]") {
  StudyDir dir;
  Study study = load_study(dir.study(kTwoArms));
  auto runs = expand(study);
  REQUIRE(runs.size() == 6);
  const std::vector<std::pair<std::string, std::int64_t>> expected = {
      {"constant", 0}, {"constant", 1}, {"constant", 2}, {"onecycle", 0}, {"onecycle", 1}, {"onecycle", 2}};
  std::set<fs::path> dirs;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    INFO("run " << i);
    CHECK(runs[i].arm == expected[i].first);
    CHECK(runs[i].seed == expected[i].second);
    CHECK(runs[i].run_dir == study.out / expected[i].first / ("seed-" + std::to_string(expected[i].second)));
    CHECK(value_of(runs[i], "run.name") == runs[i].arm);
    dirs.insert(runs[i].run_dir);
  }
  CHECK(dirs.size() == runs.size());
  // Expanding again gives the same runs (nothing depends on time, order of a map, etc.).
  auto again = expand(load_study(study.file));
  for (std::size_t i = 0; i < runs.size(); ++i) {
    CHECK(again[i].run_dir == runs[i].run_dir);
    CHECK(again[i].overrides == runs[i].overrides);
  }
}

TEST_CASE("runs are paired by seed: the same run.seed in every arm, arm overrides kept first", "[unit]") {
  StudyDir dir;
  auto runs = expand(load_study(dir.study(kTwoArms)));
  for (const auto& a : runs) {
    CHECK(value_of(a, "run.seed") == std::to_string(a.seed));
    for (const auto& b : runs) {
      if (a.seed == b.seed) CHECK(value_of(a, "run.seed") == value_of(b, "run.seed"));
    }
  }
  // The sweep's own keys come last, so nothing in an arm can override them.
  CHECK(runs[0].overrides.back() == "run.name=constant");
  CHECK(runs[0].overrides[runs[0].overrides.size() - 2] == "run.seed=0");
}

TEST_CASE("[study] arms chooses and orders the arms", "[unit]") {
  StudyDir dir;
  std::string text = kTwoArms;
  text.insert(text.find("[arm.constant]"), "arms = onecycle, constant\n");
  auto runs = expand(load_study(dir.study(text)));
  REQUIRE(runs.size() == 6);
  CHECK(runs.front().arm == "onecycle");
  CHECK(runs.back().arm == "constant");

  std::string subset = kTwoArms;
  subset.insert(subset.find("[arm.constant]"), "arms = onecycle\n");
  auto only = expand(load_study(dir.study(subset)));
  REQUIRE(only.size() == 3);
  for (const auto& run : only) CHECK(run.arm == "onecycle");
}

TEST_CASE("seed lists: ranges, lists and mixes; repeats, negatives and junk are rejected", "[unit]") {
  CHECK(parse_seeds("0-2", "seeds") == std::vector<std::int64_t>{0, 1, 2});
  CHECK(parse_seeds("0,1,2,5", "seeds") == std::vector<std::int64_t>{0, 1, 2, 5});
  CHECK(parse_seeds(" 3 , 0-1 ,9", "seeds") == std::vector<std::int64_t>{3, 0, 1, 9});
  CHECK(parse_seeds("7", "seeds") == std::vector<std::int64_t>{7});
  CHECK(parse_seeds("4-4", "seeds") == std::vector<std::int64_t>{4});
  for (const char* bad : {"", "2-0", "0,0", "0-2,1", "-1", "a", "0-", "1,,2", "0-2-4", "1.5"}) {
    INFO("seeds = '" << bad << "'");
    CHECK_THROWS_AS(parse_seeds(bad, "seeds"), UsageError);
  }
  CHECK_THROWS_WITH(parse_seeds("2-0", "[study] seeds"), Contains("[study] seeds") && Contains("2-0"));
}

TEST_CASE("Slurm time limits convert to seconds in every Slurm format", "[unit]") {
  using curvtrack::sweep::parse_slurm_time;
  CHECK(parse_slurm_time("30", "t") == 1800);
  CHECK(parse_slurm_time("30:15", "t") == 1815);
  CHECK(parse_slurm_time("01:00:05", "t") == 3605);
  CHECK(parse_slurm_time("2-03", "t") == 2 * 86400 + 3 * 3600);
  CHECK(parse_slurm_time("1-00:30", "t") == 86400 + 1800);
  CHECK(parse_slurm_time("1-00:00:10", "t") == 86410);
  for (const char* bad : {"", "1:2:3:4", "abc", "-5", "1-", "1h"}) {
    INFO("time = '" << bad << "'");
    CHECK_THROWS_AS(parse_slurm_time(bad, "t"), UsageError);
  }
}

TEST_CASE("an unknown key names the file, the key and the nearest valid key", "[unit]") {
  StudyDir dir;
  std::string text = kTwoArms;
  text.replace(text.find("seeds = 0-2"), 11, "sedes = 0-2");
  fs::path file = dir.study(text);
  CHECK_THROWS_AS(load_study(file), UsageError);
  CHECK_THROWS_WITH(load_study(file), Contains(file.string()) && Contains("sedes") && Contains("did you mean 'seeds'"));

  std::string slurm = kTwoArms + "cpus_per_tsk = 4\n";
  CHECK_THROWS_WITH(load_study(dir.study(slurm)), Contains("cpus_per_tsk") && Contains("cpus_per_task"));
  std::string local = kTwoArms;
  local.replace(local.find("jobs = 2"), 8, "job = 2");
  CHECK_THROWS_WITH(load_study(dir.study(local)), Contains("[local]") && Contains("'jobs'"));
  std::string section = kTwoArms + "[slurmm]\n";
  CHECK_THROWS_WITH(load_study(dir.study(section)), Contains("[slurmm]") && Contains("[slurm]"));
}

TEST_CASE("a missing base config is an error naming the path", "[unit]") {
  StudyDir dir;
  std::string text = kTwoArms;
  text.replace(text.find("base = base.ini"), 15, "base = nothere.ini");
  CHECK_THROWS_WITH(load_study(dir.study(text)), Contains("nothere.ini") && Contains("does not exist"));
  CHECK_THROWS_WITH(load_study(dir.path() / "nope.ini"), Contains("nope.ini") && Contains("does not exist"));
}

TEST_CASE("bad seeds, no arms and malformed arms are errors", "[unit]") {
  StudyDir dir;
  std::string seeds = kTwoArms;
  seeds.replace(seeds.find("seeds = 0-2"), 11, "seeds = 3-1");
  CHECK_THROWS_WITH(load_study(dir.study(seeds)), Contains("seeds") && Contains("3-1"));

  std::string no_arms = "[study]\nbase = base.ini\nseeds = 0\nout = out\n";
  CHECK_THROWS_WITH(load_study(dir.study(no_arms)), Contains("no arms"));

  std::string unknown_arm = kTwoArms;
  unknown_arm.insert(unknown_arm.find("[arm.constant]"), "arms = constnat\n");
  CHECK_THROWS_WITH(load_study(dir.study(unknown_arm)), Contains("constnat") && Contains("constant"));

  for (const char* bad_line : {"lr = 0.1", "schedule. = 1", ".lr = 1", "sched ule.lr = 1", "run.seed = 3",
                                      "run.name = x"}) {
    INFO(bad_line);
    CHECK_THROWS_AS(load_study(dir.study(kTwoArms + "[arm.bad]\n" + std::string(bad_line) + "\n")), UsageError);
  }
  CHECK_THROWS_WITH(load_study(dir.study(kTwoArms + "[arm.a/b]\n")), Contains("a/b"));
  CHECK_THROWS_WITH(load_study(dir.study(kTwoArms + "[arm.constant]\n")), Contains("twice"));
  CHECK_THROWS_WITH(load_study(dir.study(kTwoArms + "[arm.x]\nschedule.lr = 1\nschedule.lr = 2\n")),
                    Contains("schedule.lr") && Contains("twice"));
  CHECK_THROWS_WITH(load_study(dir.study("seeds = 1\n" + kTwoArms)),
                    Contains(":1: key 'seeds' comes before any [section]; write it under its section, e.g. [study]"));
  CHECK_THROWS_WITH(load_study(dir.study(kTwoArms + "just words\n")), Contains("expected 'key = value'"));
  std::string no_out = kTwoArms;
  no_out.replace(no_out.find("out = ../runs/quick"), 19, "out =");
  CHECK_THROWS_WITH(load_study(dir.study(no_out)), Contains("out is not set"));
  std::string bad_jobs = kTwoArms;
  bad_jobs.replace(bad_jobs.find("jobs = 2"), 8, "jobs = 0");
  CHECK_THROWS_WITH(load_study(dir.study(bad_jobs)), Contains("jobs"));
  std::string bad_time = kTwoArms;
  bad_time.replace(bad_time.find("time = 00:30:00"), 15, "time = 30min");
  CHECK_THROWS_WITH(load_study(dir.study(bad_time)), Contains("30min"));
}

TEST_CASE("the train command of a run carries base, overrides, run dir and --resume auto", "[unit]") {
  StudyDir dir;
  Study study = load_study(dir.study(kTwoArms));
  auto runs = expand(study);
  auto words = curvtrack::sweep::train_arguments(study, runs[4]);
  std::vector<std::string> expected = {"train", "--config", study.base.string(),
                                       "--set", "schedule.policy=onecycle", "--set", "schedule.lr_max=0.1",
                                       "--set", "run.seed=1", "--set", "run.name=onecycle",
                                       "--run-dir", runs[4].run_dir.string(), "--resume", "auto"};
  CHECK(words == expected);
}

TEST_CASE("shell quoting survives spaces and quotes", "[unit]") {
  using curvtrack::sweep::shell_quote;
  CHECK(shell_quote("plain/path-1.ini") == "plain/path-1.ini");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("$HOME") == "'$HOME'");
}

TEST_CASE("seeds and Slurm times at the edge of int64 are handled, not overflowed (fuzz findings)", "[unit]") {
  // Found by fuzz/fuzz_study (fuzz/regressions/study/*): these hung or overflowed.
  REQUIRE(parse_seeds("9223372036854775807", "seeds") == std::vector<std::int64_t>{9223372036854775807LL});
  REQUIRE(parse_seeds("9223372036854775806-9223372036854775807", "seeds").size() == 2);
  REQUIRE_THROWS_AS(curvtrack::sweep::parse_slurm_time("200000000000000-00", "time"), UsageError);
  REQUIRE_THROWS_AS(curvtrack::sweep::parse_slurm_time("999999999999999999", "time"), UsageError);
  REQUIRE(curvtrack::sweep::parse_slurm_time("1-02:03:04", "time") == 86400 + 2 * 3600 + 3 * 60 + 4);
}
