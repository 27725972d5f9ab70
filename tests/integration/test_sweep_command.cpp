#include "test_prelude.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "run_tool.hpp"

using curvtrack::testing::local_slurm_conf;
using curvtrack::testing::run_tool;
using curvtrack::testing::spawn_tool;
using curvtrack::testing::TempDir;
using curvtrack::testing::wait_tool;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

using curvtrack::testing::meta_of;
using curvtrack::testing::slurp;


const std::vector<std::string> kRuns = {"constant/seed-0", "constant/seed-1", "onecycle/seed-0", "onecycle/seed-1"};

// A tiny two-arm, two-seed study in `folder` writing under folder/OUT.
fs::path write_study(const fs::path& folder, const std::string& out, std::int64_t steps) {
  std::ofstream(folder / "base.ini") << "[data]\ndataset = gmm:512:10:28:3\nbatch_size = 32\n"
                                        "[model]\nspec = mlp:784-16-10:tanh\n"
                                        "[train]\nsteps = " << steps << "\nlog_every = 10\ncheckpoint_every = 100\n";
  fs::path study = folder / (out + ".ini");
  std::ofstream(study) << "[study]\nname = tiny\nbase = base.ini\nseeds = 0-1\nout = " << out << "\n"
                          "[arm.constant]\nschedule.policy = constant\nschedule.lr = 0.05\n"
                          "[arm.onecycle]\nschedule.policy = onecycle\nschedule.lr_max = 0.1\n"
                          "[local]\njobs = 2\n";
  return study;
}

bool wait_until(const std::function<bool()>& done, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::string shell(const std::string& command) {
  std::string text;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (std::size_t got = std::fread(buffer, 1, sizeof buffer, pipe)) text.append(buffer, got);
    ::pclose(pipe);
  }
  return text;
}

}  // namespace

TEST_CASE("sweep runs a study on the local pool, then skips every finished run", "[integration]") {
  TempDir dir;
  fs::path study = write_study(dir.path(), "out", 60);
  fs::path out = dir.path() / "out";

  auto dry = run_tool({"sweep", "--study", study.string(), "--dry-run"});
  INFO(dry.err);
  REQUIRE(dry.exit_code == 0);
  for (const auto& run : kRuns) CHECK_THAT(dry.out, Contains((out / run).string()));
  CHECK_THAT(dry.out, Contains("--set run.seed=1 --set run.name=onecycle --run-dir " + (out / "onecycle/seed-1").string() +
                               " --resume auto"));
  CHECK_THAT(dry.out, Contains("0 of 4 runs done"));
  CHECK_FALSE(fs::exists(out / "constant"));

  auto first = run_tool({"sweep", "--study", study.string(), "--jobs", "2", "--threads", "1"});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.err, Contains("4 completed"));
  for (const auto& run : kRuns) {
    INFO(run);
    auto meta = meta_of(out / run);
    CHECK(meta["status"] == "completed");
    CHECK(meta["processes"] == 1);
    CHECK(meta["threads"] == 1);
    CHECK(fs::exists(out / run / "train.log"));
  }
  // Paired by seed: each run's resolved config carries the study's seed and its arm's name.
  CHECK_THAT(slurp(out / "constant/seed-1/config.ini"), Contains("seed = 1"));
  CHECK_THAT(slurp(out / "onecycle/seed-1/config.ini"), Contains("seed = 1"));
  CHECK_THAT(slurp(out / "onecycle/seed-1/config.ini"), Contains("name = onecycle"));

  auto second = run_tool({"sweep", "--study", study.string(), "--jobs", "2", "--threads", "1"});
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(second.err, Contains("4 skipped"));
  for (const auto& run : kRuns) CHECK(meta_of(out / run)["processes"] == 1);
  auto listed = run_tool({"sweep", "--study", study.string(), "--dry-run"});
  CHECK_THAT(listed.out, Contains("4 of 4 runs done"));
  CHECK_THAT(listed.out, Contains("completed"));
}

TEST_CASE("a sweep stopped with SIGINT exits 75 and the next sweep resumes the interrupted runs", "[integration]") {
  TempDir dir;
  fs::path study = write_study(dir.path(), "out", 3000);
  fs::path out = dir.path() / "out";
  int pid = spawn_tool({"sweep", "--study", study.string(), "--jobs", "2", "--threads", "1"}, dir.path());
  REQUIRE(wait_until([&] { return fs::exists(out / "constant/seed-0/checkpoints/LATEST"); }, 120));
  ::kill(pid, SIGINT);
  int code = wait_tool(pid);
  INFO(slurp(dir.path() / "spawn.err"));
  REQUIRE(code == 75);
  CHECK_THAT(slurp(dir.path() / "spawn.err"), Contains("stop requested"));
  REQUIRE(meta_of(out / "constant/seed-0")["status"] == "preempted");

  auto resumed = run_tool({"sweep", "--study", study.string(), "--jobs", "2", "--threads", "1"});
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Contains("resuming a preempted run"));
  for (const auto& run : kRuns) CHECK(meta_of(out / run)["status"] == "completed");
  CHECK(meta_of(out / "constant/seed-0")["processes"] == 2);
  CHECK(meta_of(out / "onecycle/seed-1")["processes"] == 1);
}

TEST_CASE("sweep rejects a bad study with exit code 2 and a message naming the key", "[integration]") {
  TempDir dir;
  fs::path study = write_study(dir.path(), "out", 60);
  std::ofstream(study, std::ios::app) << "[slurm]\nthrotle = 2\n";
  auto run = run_tool({"sweep", "--study", study.string(), "--dry-run"});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Contains("throtle") && Contains("throttle") && Contains(study.string()));
  auto backend = run_tool({"sweep", "--study", study.string(), "--backend", "cloud"});
  CHECK(backend.exit_code == 2);
}

// Needs a Slurm client; starts the single-node test cluster of scripts/slurm-local.sh (root).
TEST_CASE("the slurm backend runs the study as a requeueing array job, to the same numbers as the local pool",
          "[integration][slurm]") {
  std::string conf = local_slurm_conf();
  if (conf.empty()) return;
  ::setenv("SLURM_CONF", conf.c_str(), 1);

  TempDir dir;
  const std::int64_t steps = 20000;  // ~10 s a run: long enough to be signalled twice
  fs::path local_study = write_study(dir.path(), "local", steps);
  fs::path slurm_study = write_study(dir.path(), "slurm", steps);
  auto local = run_tool({"sweep", "--study", local_study.string(), "--jobs", "2", "--threads", "1"});
  INFO(local.err);
  REQUIRE(local.exit_code == 0);

  auto submitted = run_tool({"sweep", "--study", slurm_study.string(), "--backend", "slurm", "--threads", "1"});
  INFO(submitted.out << submitted.err);
  REQUIRE(submitted.exit_code == 0);
  fs::path out = dir.path() / "slurm";
  std::string jobs = slurp(out / "slurm/jobs.txt");
  REQUIRE(jobs.rfind("array ", 0) == 0);
  std::string array_id = jobs.substr(6, jobs.find('\n') - 6);
  INFO("array job " << array_id);
  std::string runs_txt = slurp(out / "slurm/runs.txt");
  CHECK(std::count(runs_txt.begin(), runs_txt.end(), '\n') == 4);

  // Task 0 is constant/seed-0: USR1 = checkpoint and go on; then TERM = checkpoint, exit 75, requeue.
  const std::string task = array_id + "_0";
  fs::path log = out / "slurm/logs" / (task + ".log");
  // Well under way (slurmctld refuses signals to a task still being launched).
  REQUIRE(wait_until([&] { return fs::exists(out / "constant/seed-0/checkpoints/step-2000.pt"); }, 120));
  // The batch shell's pid and the task's job id, as the script prints them.
  std::string task_job, shell_pid;
  REQUIRE(wait_until([&] {
    std::string text = slurp(log);
    auto job = text.find("(job "), pid = text.find(", pid ");
    if (job == std::string::npos || pid == std::string::npos) return false;
    task_job = text.substr(job + 5, text.find(',', job) - job - 5);
    shell_pid = text.substr(pid + 6, text.find(',', pid + 6) - pid - 6);
    return true;
  }, 30));
  INFO("task job id " << task_job << ", batch shell pid " << shell_pid);
  // scancel --signal=SIG --batch. While other tasks of the array are pending, Slurm 22.05
  // answers "Job can not be altered now", but only the reply is an error: the signal is
  // delivered, and scancel keeps retrying, which may deliver it again (to the task, or to its
  // requeued successor). So scancel runs under a time bound, delivery is judged by the task's
  // log ("SIG -> train"), the batch shell is signalled directly only when none shows, and a
  // second delivery is tolerated and counted (scripts/slurm/README.md).
  auto deliveries = [&](const std::string& name) {
    std::string text = slurp(log), line = "curvtrack-sweep: " + name + " -> train";
    std::size_t count = 0;
    for (std::size_t at = text.find(line); at != std::string::npos; at = text.find(line, at + 1)) ++count;
    return count;
  };
  auto signal_task = [&](const std::string& name) {
    const std::size_t before = deliveries(name);
    int status = std::system(("timeout 5 scancel --signal=" + name + " --batch " + task_job + " 2>/dev/null").c_str());
    if (wait_until([&] { return deliveries(name) > before; }, 15)) return true;
    WARN("scancel --signal=" + name + " --batch " + task_job + " (status " + std::to_string(status) +
         ") delivered nothing; signalling the batch shell directly");
    return std::system(("kill -" + name + " " + shell_pid).c_str()) == 0;
  };
  REQUIRE(signal_task("USR1"));
  REQUIRE(wait_until([&] { return slurp(log).find("USR1 -> train") != std::string::npos; }, 30));
  REQUIRE(meta_of(out / "constant/seed-0")["status"] == "running");
  REQUIRE(signal_task("TERM"));
  REQUIRE(wait_until([&] { return slurp(log).find("requeueing " + task) != std::string::npos; }, 60));

  bool finished = wait_until([&] { return shell("squeue -h -j " + array_id + " 2>/dev/null").empty(); }, 300);
  INFO(slurp(log));
  REQUIRE(finished);
  CHECK_THAT(slurp(log), Contains("train exited with 75"));
  CHECK_THAT(slurp(log), Contains("restart 1"));
  for (const auto& run : kRuns) {
    INFO(run);
    REQUIRE(meta_of(out / run)["status"] == "completed");
    CHECK(slurp(out / run / "metrics.csv") == slurp(dir.path() / "local" / run / "metrics.csv"));
  }
  // Every requeue is one more process; a second TERM delivery may have requeued the run twice.
  const std::string text = slurp(log);
  std::size_t requeues = 0;
  for (std::size_t at = text.find("curvtrack-sweep: requeueing"); at != std::string::npos;
       at = text.find("curvtrack-sweep: requeueing", at + 1)) {
    ++requeues;
  }
  const std::size_t usr1 = deliveries("USR1"), term = deliveries("TERM");
  std::printf("slurm preemption: USR1 delivered %zu time(s), TERM %zu time(s), %zu requeue(s)\n", usr1, term, requeues);
  if (usr1 > 1 || term > 1) WARN("a signal was delivered more than once: USR1 " << usr1 << ", TERM " << term);
  CHECK(usr1 >= 1);
  CHECK(term >= 1);
  CHECK(requeues >= 1);
  CHECK(requeues <= term);
  CHECK(meta_of(out / "constant/seed-0")["processes"] == static_cast<int>(1 + requeues));

  // Submitting again finds nothing left to do.
  auto again = run_tool({"sweep", "--study", slurm_study.string(), "--backend", "slurm", "--threads", "1"});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.err, Contains("already completed or diverged"));
}
