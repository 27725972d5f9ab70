#include "test_prelude.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "run_tool.hpp"

using curvtrack::testing::run_tool;
using curvtrack::testing::spawn_tool;
using curvtrack::testing::TempDir;
using curvtrack::testing::wait_tool;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

using curvtrack::testing::meta_of;
using curvtrack::testing::slurp;


// A small, fast 1cycle run on synthetic data; long enough (a few seconds) to be interrupted.
std::vector<std::string> synthetic_run(const fs::path& run_dir, std::int64_t steps) {
  return {"train", "--run-dir", run_dir.string(), "--threads", "1", "--quiet",
          "--set", "data.dataset=gmm:1024:10:28:3", "--set", "data.batch_size=32",
          "--set", "model.spec=mlp:784-32-10:tanh", "--set", "schedule.policy=onecycle",
          "--set", "schedule.lr_max=0.2", "--set", "train.steps=" + std::to_string(steps),
          "--set", "train.checkpoint_every=100", "--set", "train.log_every=10", "--set", "train.eval_every=250"};
}

void wait_for(const fs::path& path, int pid) {
  for (int i = 0; i < 6000 && !fs::exists(path); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(fs::exists(path));
  (void)pid;
}

// The final checkpoint's fingerprint identifies its bytes: parameters and optimizer state.
std::string final_fingerprint(const fs::path& run, std::int64_t steps) {
  return slurp(run / "checkpoints" / ("step-" + std::to_string(steps) + ".pt.fnv"));
}

}  // namespace

TEST_CASE("a run killed with SIGKILL resumes to bit-identical metrics and weights", "[integration]") {
  const std::int64_t steps = 3000;
  TempDir dir;
  fs::path straight = dir.path() / "straight", killed = dir.path() / "killed";
  auto run = run_tool(synthetic_run(straight, steps));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  REQUIRE(meta_of(straight)["status"] == "completed");

  std::mt19937 rng(std::random_device{}());
  int pid = spawn_tool(synthetic_run(killed, steps), dir.path());
  wait_for(killed / "checkpoints" / "LATEST", pid);
  std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(rng)));
  ::kill(pid, SIGKILL);
  REQUIRE(wait_tool(pid) == -SIGKILL);
  REQUIRE(meta_of(killed)["status"] == "running");  // killed: nobody could mark it

  auto resumed = run_tool([&] {
    auto args = synthetic_run(killed, steps);
    args.insert(args.end(), {"--resume", "auto"});
    return args;
  }());
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  REQUIRE(meta_of(killed)["status"] == "completed");
  REQUIRE(meta_of(killed)["processes"] == 2);
  REQUIRE(slurp(killed / "metrics.csv") == slurp(straight / "metrics.csv"));
  REQUIRE(final_fingerprint(killed, steps) == final_fingerprint(straight, steps));
}

TEST_CASE("SIGTERM writes a checkpoint, exits 75 as preempted, and the resumed run completes", "[integration]") {
  const std::int64_t steps = 3000;
  TempDir dir;
  fs::path run_dir = dir.path() / "run";
  int pid = spawn_tool(synthetic_run(run_dir, steps), dir.path());
  wait_for(run_dir / "checkpoints" / "LATEST", pid);
  ::kill(pid, SIGTERM);
  REQUIRE(wait_tool(pid) == 75);
  auto meta = meta_of(run_dir);
  REQUIRE(meta["status"] == "preempted");
  std::int64_t stopped_at = meta["checkpoint_step"];
  REQUIRE(slurp(run_dir / "checkpoints" / "LATEST") == std::to_string(stopped_at) + "\n");

  auto args = synthetic_run(run_dir, steps);
  args.insert(args.end(), {"--resume", "auto"});
  auto resumed = run_tool(args);
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  REQUIRE(meta_of(run_dir)["status"] == "completed");
  REQUIRE(meta_of(run_dir)["resumed_from_step"] == stopped_at);
  // A completed run is not trained again.
  auto again = run_tool(args);
  REQUIRE(again.exit_code == 0);
  REQUIRE(meta_of(run_dir)["processes"] == 2);
}

TEST_CASE("a run at an absurd learning rate ends diverged with exit 0 and keeps its metrics", "[integration]") {
  TempDir dir;
  fs::path run_dir = dir.path() / "run";
  auto args = synthetic_run(run_dir, 400);
  args.insert(args.end(), {"--set", "schedule.lr_max=1e6"});
  auto run = run_tool(args);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto meta = meta_of(run_dir);
  REQUIRE(meta["status"] == "diverged");
  REQUIRE_THAT(meta["stop_reason"].get<std::string>(), Contains("step"));
  std::string metrics = slurp(run_dir / "metrics.csv");
  REQUIRE(std::count(metrics.begin(), metrics.end(), '\n') >= 2);
}

TEST_CASE("an MLP learns Fashion-MNIST past 80% test accuracy in one epoch", "[integration]") {
  if (!fs::exists("/usr/share/datasets/fashion-mnist")) {
    WARN("Fashion-MNIST not installed: skipped");
    return;
  }
  double best = 0;
  for (int attempt = 0; attempt < 3 && best <= 0.80; ++attempt) {
    TempDir dir;
    fs::path run_dir = dir.path() / "run";
    auto run = run_tool({"train", "--run-dir", run_dir.string(), "--quiet", "--set", "model.spec=mlp:784-64-64-10:tanh",
                         "--set", "schedule.policy=onecycle", "--set", "schedule.lr_max=0.1", "--set", "train.epochs=1",
                         "--set", "run.seed=" + std::to_string(attempt)});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    std::ifstream metrics(run_dir / "metrics.csv");
    std::string line, last;
    while (std::getline(metrics, line)) last = line;
    best = std::stod(last.substr(last.rfind(',') + 1));  // test_accuracy is the last column
  }
  INFO("test accuracy after one epoch " << best);
  REQUIRE(best > 0.80);
}

TEST_CASE("config errors exit 2 naming the key, the value or the file", "[integration]") {
  TempDir dir;
  auto run_dir = (dir.path() / "run").string();
  auto unknown = run_tool({"train", "--run-dir", run_dir, "--set", "optim.momentm=0.9"});
  REQUIRE(unknown.exit_code == 2);
  REQUIRE_THAT(unknown.err, Contains("optim.momentm"));
  auto type = run_tool({"train", "--run-dir", run_dir, "--set", "train.steps=many"});
  REQUIRE(type.exit_code == 2);
  REQUIRE_THAT(type.err, Contains("many"));
  auto value = run_tool({"train", "--run-dir", run_dir, "--set", "data.dataset=gmm:256:10:28:1", "--set", "train.steps=10",
                         "--set", "schedule.policy=onecycle", "--set", "schedule.variant=torch",
                         "--set", "schedule.lr_max=0.1", "--set", "schedule.pct_start=1.5"});
  REQUIRE(value.exit_code == 2);
  REQUIRE_THAT(value.err, Contains("pct_start"));
  auto missing = run_tool({"train", "--config", "/nonexistent/run.ini"});
  REQUIRE(missing.exit_code == 2);
  REQUIRE_THAT(missing.err, Contains("/nonexistent/run.ini"));
}
