// Several ranks against one process, through the real tool: plain processes with RANK /
// WORLD_SIZE, and srun -n 2 on the local Slurm cluster (scripts/slurm-local.sh).

#include "test_prelude.hpp"

#include <signal.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "run_tool.hpp"

using namespace curvtrack::testing;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// A free-enough port for one test: distinct per test process and call.
std::string next_port() {
  static int offset = 0;
  return std::to_string(31000 + (::getpid() * 13 + offset++ * 97) % 20000);
}

SpawnOptions as_rank(int rank, int ranks, const std::string& port) {
  SpawnOptions options;
  options.environment = {{"RANK", std::to_string(rank)}, {"WORLD_SIZE", std::to_string(ranks)},
                         {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", port}};
  return options;
}

// Runs the same command as two ranks; returns both exit codes (rank 0 first).
std::pair<int, int> run_two_ranks(const std::vector<std::string>& arguments, const fs::path& logs) {
  std::string port = next_port();
  fs::create_directories(logs / "rank0");
  fs::create_directories(logs / "rank1");
  int rank1 = spawn_tool(arguments, logs / "rank1", as_rank(1, 2, port));
  int rank0 = spawn_tool(arguments, logs / "rank0", as_rank(0, 2, port));
  int code0 = wait_tool(rank0);
  return {code0, wait_tool(rank1)};
}

// Largest relative difference between the numbers of two JSON values of the same shape,
// skipping wall-clock times and residuals (those are rounding noise, 1e-11 and below, whose
// relative differences mean nothing); infinity when the shapes or non-numbers differ.
double json_gap(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) {
    double x = a.get<double>(), y = b.get<double>();
    return x == y ? 0.0 : std::abs(x - y) / std::max(std::abs(y), 1e-12);
  }
  if (a.type() != b.type() || a.size() != b.size()) return INFINITY;
  if (a.is_object()) {
    double gap = 0;
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (it.key().find("seconds") != std::string::npos || it.key().find("residual") != std::string::npos) continue;
      if (!b.contains(it.key())) return INFINITY;
      gap = std::max(gap, json_gap(it.value(), b[it.key()]));
    }
    return gap;
  }
  if (a.is_array()) {
    double gap = 0;
    for (std::size_t i = 0; i < a.size(); ++i) gap = std::max(gap, json_gap(a[i], b[i]));
    return gap;
  }
  return a == b ? 0.0 : INFINITY;
}

// metrics.csv as rows of cells (numbers, or null for empty cells).
nlohmann::json csv_as_json(const fs::path& path) {
  nlohmann::json rows = nlohmann::json::array();
  std::istringstream text(slurp(path));
  std::string line;
  std::getline(text, line);  // header
  while (std::getline(text, line)) {
    nlohmann::json row = nlohmann::json::array();
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) row.push_back(cell.empty() ? nlohmann::json() : nlohmann::json(std::stod(cell)));
    rows.push_back(row);
  }
  return rows;
}

std::vector<std::string> spectrum_arguments(const fs::path& out) {
  return {"spectrum", "--model", "mlp:784-32-10:tanh", "--data", "gmm:600:10:28:5", "--probe", "train:first:301",
          "--dtype", "float64", "--top-k", "3", "--bottom-k", "1", "--trace", "hutchpp:30", "--esd", "20x2",
          "--batch-size", "64", "--threads", "1", "--quiet", "--out", out.string()};
}

void check_same_spectrum(const fs::path& single, const fs::path& ranked) {
  auto one = nlohmann::json::parse(slurp(single));
  auto two = nlohmann::json::parse(slurp(ranked));
  REQUIRE(two["settings"]["ranks"]["count"] == 2);
  for (const char* measure : {"top", "bottom", "trace", "esd"}) {
    double gap = json_gap(two[measure], one[measure]);
    INFO(measure << ": largest relative difference " << gap);
    CHECK(gap < 1e-10);
  }
  CHECK(std::abs(two["probe_loss"].get<double>() - one["probe_loss"].get<double>()) < 1e-12);
}

std::vector<std::string> train_arguments(const fs::path& run_dir, std::int64_t steps) {
  return {"train", "--run-dir", run_dir.string(), "--resume", "auto", "--quiet", "--threads", "1",
          "--set", "data.dataset=gmm:1024:10:28:3", "--set", "data.batch_size=33", "--set", "model.spec=mlp:784-32-10:tanh",
          "--set", "model.dtype=float64", "--set", "schedule.policy=onecycle", "--set", "schedule.lr_max=0.2",
          "--set", "train.steps=" + std::to_string(steps), "--set", "train.checkpoint_every=100",
          "--set", "train.log_every=10", "--set", "train.eval_every=100", "--set", "curvature.at=0,0.5,end",
          "--set", "curvature.probe=train:first:200", "--set", "curvature.test_probe=test:first:100",
          "--set", "curvature.dtype=float64"};
}

void check_same_run(const fs::path& single, const fs::path& ranked) {
  double metrics_gap = json_gap(csv_as_json(ranked / "metrics.csv"), csv_as_json(single / "metrics.csv"));
  double curvature_gap = json_gap(curvature_records(ranked / "curvature.jsonl"), curvature_records(single / "curvature.jsonl"));
  INFO("metrics: largest relative difference " << metrics_gap << "; curvature: " << curvature_gap);
  CHECK(metrics_gap < 1e-9);
  CHECK(curvature_gap < 1e-9);
}

// A one-run study of the training above, with two ranks per run under Slurm.
fs::path write_ranked_study(const fs::path& folder, const std::string& out) {
  std::ofstream(folder / "base.ini") << "[data]\ndataset = gmm:1024:10:28:3\nbatch_size = 33\n"
                                        "[model]\nspec = mlp:784-32-10:tanh\ndtype = float64\n"
                                        "[train]\nsteps = 300\nlog_every = 10\ncheckpoint_every = 100\neval_every = 100\n"
                                        "[curvature]\nat = 0,0.5,end\nprobe = train:first:200\n"
                                        "test_probe = test:first:100\ndtype = float64\n";
  fs::path study = folder / (out + ".ini");
  std::ofstream(study) << "[study]\nname = ranked\nbase = base.ini\nseeds = 0\narms = onecycle\nout = " << out << "\n"
                          "[arm.onecycle]\nschedule.policy = onecycle\nschedule.lr_max = 0.2\n"
                          "[slurm]\nranks_per_run = 2\ncpus_per_task = 1\n";
  return study;
}

}  // namespace

TEST_CASE("spectrum over two ranks equals the single-process result", "[integration][dist]") {
  TempDir dir;
  auto single = run_tool(spectrum_arguments(dir.path() / "single.json"));
  REQUIRE(single.exit_code == 0);
  auto codes = run_two_ranks(spectrum_arguments(dir.path() / "ranked.json"), dir.path() / "logs");
  INFO(slurp(dir.path() / "logs/rank0/spawn.err") << slurp(dir.path() / "logs/rank1/spawn.err"));
  REQUIRE(codes == std::make_pair(0, 0));
  check_same_spectrum(dir.path() / "single.json", dir.path() / "ranked.json");
}

TEST_CASE("a rank that never arrives stops the tool with an error naming it", "[integration][dist]") {
  TempDir dir;
  auto started = std::chrono::steady_clock::now();
  auto arguments = spectrum_arguments(dir.path() / "out.json");
  arguments.insert(arguments.end(), {"--dist-timeout", "2"});
  auto run = run_tool(arguments, as_rank(0, 2, next_port()));
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.err, Contains("rank(s) 1 did not arrive") && Contains("within 2 s"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(30));
  CHECK_FALSE(fs::exists(dir.path() / "out.json"));
}

TEST_CASE("a bad --dist-timeout or a batch too small to split is a usage error", "[integration][dist]") {
  TempDir dir;
  auto timeout = run_tool({"spectrum", "--model", "mlp:784-32-10:tanh", "--dist-timeout", "0"});
  CHECK(timeout.exit_code == 2);
  CHECK_THAT(timeout.err, Contains("--dist-timeout must be > 0"));
  auto arguments = train_arguments(dir.path() / "run", 40);
  arguments.insert(arguments.end(), {"--set", "data.batch_size=1", "--dist-timeout", "30"});
  auto codes = run_two_ranks(arguments, dir.path() / "logs");
  CHECK(codes == std::make_pair(2, 2));
  CHECK_THAT(slurp(dir.path() / "logs/rank0/spawn.err"), Contains("data.batch_size = 1") && Contains("2 ranks"));
  CHECK_FALSE(fs::exists(dir.path() / "run/metrics.csv"));
}

TEST_CASE("data-parallel training over two ranks equals one rank with the whole batch, and resumes on one rank",
          "[integration][dist]") {
  TempDir dir;
  const std::int64_t steps = 300;
  auto single = run_tool(train_arguments(dir.path() / "single", steps));
  INFO(single.err);
  REQUIRE(single.exit_code == 0);
  auto codes = run_two_ranks(train_arguments(dir.path() / "ranked", steps), dir.path() / "logs");
  INFO(slurp(dir.path() / "logs/rank0/spawn.err") << slurp(dir.path() / "logs/rank1/spawn.err"));
  REQUIRE(codes == std::make_pair(0, 0));
  check_same_run(dir.path() / "single", dir.path() / "ranked");

  // Two ranks stopped by a signal to one of them (both checkpoint the same step and exit 75),
  // then the run finished by one process.
  const std::int64_t long_steps = 6000;
  auto long_single = run_tool(train_arguments(dir.path() / "long-single", long_steps));
  REQUIRE(long_single.exit_code == 0);
  std::string port = next_port();
  fs::path logs = dir.path() / "long-logs";
  fs::create_directories(logs / "rank0");
  fs::create_directories(logs / "rank1");
  auto arguments = train_arguments(dir.path() / "long-ranked", long_steps);
  int rank1 = spawn_tool(arguments, logs / "rank1", as_rank(1, 2, port));
  int rank0 = spawn_tool(arguments, logs / "rank0", as_rank(0, 2, port));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(dir.path() / "long-ranked/checkpoints/step-200.pt") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(rank1, SIGTERM);
  int code0 = wait_tool(rank0), code1 = wait_tool(rank1);
  INFO(slurp(logs / "rank0/spawn.err") << slurp(logs / "rank1/spawn.err"));
  REQUIRE(code0 == 75);
  REQUIRE(code1 == 75);
  auto resumed = run_tool(train_arguments(dir.path() / "long-ranked", long_steps));
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  check_same_run(dir.path() / "long-single", dir.path() / "long-ranked");
}

// Needs the local Slurm cluster (scripts/slurm-local.sh, started by scripts/test.sh).
TEST_CASE("srun -n 2 curvtrack spectrum equals the single-process result", "[integration][dist][slurm]") {
  std::string conf = local_slurm_conf();
  if (conf.empty()) return;
  TempDir dir;
  auto single = run_tool(spectrum_arguments(dir.path() / "single.json"));
  REQUIRE(single.exit_code == 0);
  std::string command = "SLURM_CONF=" + conf + " timeout 300 srun -n 2 " + CURVTRACK_BINARY;
  for (const auto& argument : spectrum_arguments(dir.path() / "srun.json")) command += " '" + argument + "'";
  command += " > " + (dir.path() / "srun.log").string() + " 2>&1";
  int code = std::system(command.c_str());
  INFO(command << "\n" << slurp(dir.path() / "srun.log"));
  REQUIRE(code == 0);
  check_same_spectrum(dir.path() / "single.json", dir.path() / "srun.json");
  auto two = nlohmann::json::parse(slurp(dir.path() / "srun.json"));
  CHECK_THAT(two["settings"]["ranks"]["launcher"].get<std::string>(), Contains("srun"));
}

TEST_CASE("a study with ranks_per_run = 2 runs each run over two Slurm tasks, to the local pool's numbers",
          "[integration][dist][slurm]") {
  std::string conf = local_slurm_conf();
  if (conf.empty()) return;
  ::setenv("SLURM_CONF", conf.c_str(), 1);
  TempDir dir;
  auto local = run_tool({"sweep", "--study", write_ranked_study(dir.path(), "local").string(), "--threads", "1"});
  INFO(local.err);
  REQUIRE(local.exit_code == 0);
  CHECK_THAT(local.err, Contains("ranks_per_run = 2 applies to --backend slurm"));
  auto submitted = run_tool({"sweep", "--study", write_ranked_study(dir.path(), "slurm").string(), "--backend", "slurm"});
  INFO(submitted.out << submitted.err);
  REQUIRE(submitted.exit_code == 0);
  fs::path run = dir.path() / "slurm/onecycle/seed-0";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
  auto completed = [&] { return slurp(run / "meta.json").find("\"status\": \"completed\"") != std::string::npos; };
  while (!completed() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::string logs;
  for (const auto& entry : fs::directory_iterator(dir.path() / "slurm/slurm/logs")) logs += slurp(entry.path());
  INFO(logs);
  REQUIRE(completed());
  auto meta = meta_of(run);
  CHECK(meta["ranks"]["count"] == 2);
  CHECK_THAT(meta["ranks"]["launcher"].get<std::string>(), Contains("srun"));
  check_same_run(dir.path() / "local/onecycle/seed-0", run);
}
