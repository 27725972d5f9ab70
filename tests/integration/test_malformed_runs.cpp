// Malformed-input table (malformed_table.hpp), run directories: damaged files exit 2 or 3
// naming the file and keep what they hold; crash damage is recovered instead.

#include "test_prelude.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "malformed_inputs.hpp"

using namespace curvtrack::testing;
namespace fs = std::filesystem;

namespace {

std::vector<Case> run_cases() {
  return {
      {"run with a half-written checkpoint (offline probe)", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().good_run);
         fs::remove(run / "curvature.jsonl");  // so that step 40 must be read
         std::string bytes = slurp(run / "checkpoints/step-40.pt");
         write(run / "checkpoints/step-40.pt", bytes.substr(0, bytes.size() / 2));
         return offline(run, "40");
       }, 3, {"checkpoints/step-40.pt", "damaged or incomplete"}, {}, {"run/probe.txt"}},
      {"run with a checkpoint that lost its fingerprint", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().good_run);
         fs::remove(run / "curvature.jsonl");
         fs::remove(run / "checkpoints/step-40.pt.fnv");
         return offline(run, "40");
       }, 3, {"checkpoints/step-40.pt.fnv"}, {}, {"run/probe.txt"}},
      {"run whose curvature.jsonl has a torn line before the last (resume)", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         insert_line(run / "curvature.jsonl", 1, "{\"step\": 5, \"top\": {\"val");
         return tiny_run(run, {"--resume", "auto"});
       }, 3, {"curvature.jsonl:2"}, {}, {"run/meta.json", "run/probe.txt", "run/config.ini"}},
      {"run whose curvature.jsonl has a torn line before the last (offline probe)", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().good_run);
         insert_line(run / "curvature.jsonl", 1, "{\"step\": 5, \"top\": {\"val");
         return offline(run, "all");
       }, 3, {"curvature.jsonl:2"}, {}, {"run/probe.txt"}},
      {"run whose metrics.csv has another header", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         std::string text = slurp(run / "metrics.csv");
         write(run / "metrics.csv", "step,loss" + text.substr(text.find('\n')));
         return tiny_run(run, {"--resume", "auto"});
       }, 3, {"metrics.csv", "header"}, {}, {"run/meta.json", "run/probe.txt", "run/config.ini"}},
      {"run whose meta.json is not JSON", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         write(run / "meta.json", "{\"status\": \"runn");
         return tiny_run(run, {"--resume", "auto"});
       }, 3, {"meta.json", "not valid JSON"}},
      {"run whose meta.json has a status that is not a string", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         edit_meta(run, [](nlohmann::json& meta) { meta["status"] = 5; });
         return tiny_run(run, {"--resume", "auto"});
       }, 3, {"meta.json", "\"status\""}},
      {"run whose meta.json has a process count that is not a number", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         edit_meta(run, [](nlohmann::json& meta) { meta["processes"] = "two"; });
         return tiny_run(run, {"--resume", "auto"});
       }, 3, {"meta.json", "\"processes\""}},
      {"run whose config.ini is binary", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         write(run / "config.ini", std::string("\x00\x01garbage", 9));
         return tiny_run(run, {"--resume", "auto"});
       }, 2, {"config.ini:1:", "binary"}},
      {"run whose lrfind.json is not an object", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().auto_run);
         write(run / "lrfind.json", "[]\n");
         return tiny_run(run, {"--set", "schedule.lr_max=auto", "--resume", "auto"});
       }, 3, {"lrfind.json", "not a JSON object"}},
      {"run resumed with a different config", [](CaseDir& c) {
         return tiny_run(copy_run(c, shared().killed_run), {"--resume", "auto", "--set", "schedule.lr_max=0.3"});
       }, 2, {"schedule.lr_max (0.2 -> 0.3)"}},
      {"run directory reused without --resume", [](CaseDir& c) { return tiny_run(copy_run(c, shared().killed_run)); },
       2, {"already holds a run", "--resume auto"}},
      {"offline probe of a folder that is no run", [](CaseDir& c) {
         fs::create_directories(c.dir / "notarun");
         return offline(c.dir / "notarun", "all");
       }, 3, {"notarun", "config.ini"}},
      {"offline probe of a step without a checkpoint", [](CaseDir& c) { return offline(copy_run(c, shared().good_run), "30"); },
       2, {"step 30"}, {}, {"run/probe.txt"}},
      // A `checkpoints` entry that is not a folder is named, not blamed on the run directory.
      {"run whose checkpoints is a regular file (resume)", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         fs::remove_all(run / "checkpoints");
         write(run / "checkpoints", "not a folder\n");
         return tiny_run(run, {"--resume", "auto"});
       }, 3, {"run/checkpoints is a regular file, not a folder", "checkpoints"}},
      {"run whose checkpoints is a regular file (offline probe)", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().good_run);
         fs::remove_all(run / "checkpoints");
         write(run / "checkpoints", "not a folder\n");
         return offline(run, "all");
       }, 3, {"run/checkpoints is a regular file, not a folder"}, {}, {"run/probe.txt"}},
      {"fresh run directory holding a checkpoints file (--resume auto)", [](CaseDir& c) {
         fs::create_directories(c.dir / "run");
         write(c.dir / "run/checkpoints", "x");
         return tiny_run(c.dir / "run", {"--resume", "auto"});
       }, 3, {"run/checkpoints is a regular file, not a folder"}},
  };
}

const bool registered = register_table("run directories", run_cases);

}  // namespace

TEST_CASE("damaged run directories exit 2 or 3 naming the file and keep what they hold", "[integration]") {
  run_table("run directories", run_cases());
}

// Damage that a crash leaves is not an error: a resume recovers from it (with a warning where
// something was thrown away) to exactly the records of the uninterrupted run.
TEST_CASE("crash damage in a run directory is recovered to the uninterrupted run's records", "[integration]") {
  struct Damage {
    std::string name;
    std::function<void(const fs::path&)> apply;
    std::vector<std::string> warnings;  ///< what stderr must name (empty: a silent recovery)
  };
  const std::vector<Damage> damages = {
      {"torn last lines in curvature.jsonl and metrics.csv", [](const fs::path& run) {
         std::ofstream(run / "curvature.jsonl", std::ios::app) << "{\"step\": 40, \"top\": {\"val";
         std::ofstream(run / "metrics.csv", std::ios::app) << "40,5,0.1";
       }, {}},
      {"corrupted LATEST", [](const fs::path& run) { write(run / "checkpoints/LATEST", "4\x7f" "0\n"); },
       {"checkpoints/LATEST is corrupt"}},
      {"LATEST naming a missing checkpoint", [](const fs::path& run) { write(run / "checkpoints/LATEST", "50\n"); },
       {"checkpoints/LATEST names step 50"}},
      {"half-written newest checkpoint", [](const fs::path& run) {
         std::string bytes = slurp(run / "checkpoints/step-40.pt");
         write(run / "checkpoints/step-40.pt", bytes.substr(0, bytes.size() / 2));
       }, {"step-40.pt is damaged or incomplete", "falling back to checkpoint", "step-20.pt"}},
      {"leftover temporary files of a crashed write", [](const fs::path& run) {
         write(run / "checkpoints/step-60.pt.tmp.99999", "half a checkpoint");
         write(run / "metrics.csv.tmp.99999", "step,epoch\n0,");
       }, {}},
  };
  const fs::path good = shared().good_run;
  for (const auto& damage : damages) {
    INFO("damage: " << damage.name);
    TempDir temp;
    fs::path run = temp.path() / "run";
    copy_tree(shared().killed_run, run);
    damage.apply(run);
    ToolRun resumed = run_tool(tiny_run(run, {"--resume", "auto"}));
    INFO("stderr: " << resumed.err);
    CHECK(resumed.exit_code == 0);
    for (const auto& warning : damage.warnings) CHECK(resumed.err.find(warning) != std::string::npos);
    if (damage.warnings.empty()) CHECK(resumed.err.empty());
    CHECK(status_of(slurp(run / "meta.json")) == "completed");
    CHECK(slurp(run / "metrics.csv") == slurp(good / "metrics.csv"));
    CHECK(curvature_records(run / "curvature.jsonl") == curvature_records(good / "curvature.jsonl"));
    CHECK(slurp(run / "checkpoints/step-60.pt.fnv") == slurp(good / "checkpoints/step-60.pt.fnv"));
  }
  std::printf("recoverable damage: %zu kinds recovered\n", damages.size());
}

// A torn last record in a COMPLETED run is damage, not crash debris: no resume will repair it,
// and the last complete record is not the end of training. The report lists the run with a
// note, warns on stderr and leaves it out of every end-of-training comparison.
TEST_CASE("a torn last record in a completed run is reported as damage and left out of comparisons", "[integration]") {
  TempDir dir;
  const fs::path good = dir.path() / "good", torn_curvature = dir.path() / "torn-curvature",
                 torn_metrics = dir.path() / "torn-metrics";
  // The report reads arm and seed from run.name and run.seed.
  for (const auto& [run, seed] : {std::pair{good, "0"}, std::pair{torn_curvature, "1"}, std::pair{torn_metrics, "2"}}) {
    ToolRun trained = run_tool(tiny_run(run, {"--set", "run.name=a", "--set", std::string("run.seed=") + seed}));
    INFO(trained.err);
    REQUIRE(trained.exit_code == 0);
    REQUIRE(status_of(slurp(run / "meta.json")) == "completed");
  }
  // The last record loses its newline and its tail: what a crash mid-append leaves.
  std::string curvature = slurp(torn_curvature / "curvature.jsonl");
  write(torn_curvature / "curvature.jsonl", curvature.substr(0, curvature.size() - 40));
  std::string metrics = slurp(torn_metrics / "metrics.csv");
  write(torn_metrics / "metrics.csv", metrics.substr(0, metrics.size() - 5));

  const fs::path out = dir.path() / "report";
  ToolRun report = run_tool(report_of({good, torn_curvature, torn_metrics}, out));
  INFO(report.err);
  REQUIRE(report.exit_code == 0);
  // stderr: one warning per damaged run, naming it and the file.
  CHECK(report.err.find(torn_curvature.string() + ": damaged: curvature.jsonl ends in a torn record") != std::string::npos);
  CHECK(report.err.find(torn_metrics.string() + ": damaged: metrics.csv ends in a torn record") != std::string::npos);
  CHECK(report.err.find(good.string() + ": damaged") == std::string::npos);
  // The runs table: a note per damaged run, and "not compared".
  const std::string markdown = slurp(out / "report.md");
  CHECK(markdown.find("damaged: curvature.jsonl ends in a torn record") != std::string::npos);
  CHECK(markdown.find("damaged: metrics.csv ends in a torn record") != std::string::npos);
  CHECK(markdown.find("not compared: damaged") != std::string::npos);
  // tables/runs.csv: usable only for the undamaged run; end_measures.csv: no end for the others.
  const std::string runs = slurp(out / "tables/runs.csv");
  std::istringstream lines(runs);
  std::string line;
  int usable = 0, damaged = 0;
  while (std::getline(lines, line)) {
    if (line.find(",yes,") != std::string::npos) ++usable;
    if (line.find(",no,damaged (") != std::string::npos || line.find(",no,\"damaged (") != std::string::npos) ++damaged;
  }
  CHECK(usable == 1);
  CHECK(damaged == 2);
  const std::string ends = slurp(out / "tables/end_measures.csv");
  CHECK(std::count(ends.begin(), ends.end(), '\n') == 2);  // the header and the undamaged run
}

// A run stopped by TERM, resumed and completed keeps nothing of its stop: meta.json has no
// stop_reason and no error, and the report shows no note of it.
TEST_CASE("a run stopped by TERM and resumed to completion keeps no stale stop reason", "[integration]") {
  TempDir dir;
  const fs::path run = dir.path() / "run";
  auto args = [&](std::vector<std::string> extra) {
    std::vector<std::string> words = {"train", "--run-dir", run.string(), "--threads", "1", "--quiet",
        "--set", "data.dataset=gmm:256:4:4:1", "--set", "data.batch_size=32", "--set", "model.spec=mlp:16-8-4:tanh",
        "--set", "schedule.policy=constant", "--set", "schedule.lr=0.1", "--set", "train.steps=3000",
        "--set", "train.checkpoint_every=100", "--set", "train.log_every=50", "--set", "curvature.at=end",
        "--set", "curvature.probe=train:first:64", "--set", "curvature.test_probe=none", "--set", "run.name=a"};
    words.insert(words.end(), extra.begin(), extra.end());
    return words;
  };
  int pid = spawn_tool(args({}), dir.path());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(run / "checkpoints/LATEST") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(fs::exists(run / "checkpoints/LATEST"));
  ::kill(pid, SIGTERM);
  REQUIRE(wait_tool(pid) == 75);
  nlohmann::json stopped = meta_of(run);
  REQUIRE(stopped["status"] == "preempted");
  REQUIRE(stopped.contains("stop_reason"));
  INFO("stop reason of the stopped process: " << stopped["stop_reason"]);

  ToolRun resumed = run_tool(args({"--resume", "auto"}));
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  nlohmann::json meta = meta_of(run);
  CHECK(meta["status"] == "completed");
  CHECK(meta["processes"] == 2);
  CHECK_FALSE(meta.contains("stop_reason"));
  CHECK_FALSE(meta.contains("error"));

  ToolRun report = run_tool(report_of({run}, dir.path() / "report"));
  INFO(report.err);
  REQUIRE(report.exit_code == 0);
  const std::string markdown = slurp(dir.path() / "report/report.md");
  CHECK(markdown.find(stopped["stop_reason"].get<std::string>()) == std::string::npos);
  CHECK(markdown.find("stop signal") == std::string::npos);
}
