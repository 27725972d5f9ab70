#include "test_prelude.hpp"

#include <ATen/ATen.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "curvtrack/data/dataset.hpp"
#include "curvtrack/models/network.hpp"
#include "curvtrack/runs/json_log.hpp"
#include "curvtrack/train/checkpoint.hpp"
#include "dense_reference.hpp"
#include "run_tool.hpp"

using namespace curvtrack;
using curvtrack::testing::run_tool;
using curvtrack::testing::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinRel;
namespace fs = std::filesystem;

namespace {

// Softmax regression on 4x4 synthetic images: 16*10 + 10 = 170 parameters, analytic Hessian.
const char* kData = "gmm:512:10:4:1";
const char* kModel = "mlp:16-10";

std::vector<std::string> tracked_run(const fs::path& run_dir, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"train", "--run-dir", run_dir.string(), "--threads", "1", "--quiet",
      "--set", std::string("data.dataset=") + kData, "--set", "data.batch_size=32",
      "--set", std::string("model.spec=") + kModel, "--set", "model.dtype=float64",
      "--set", "schedule.policy=onecycle", "--set", "schedule.lr_max=0.5", "--set", "train.steps=200",
      "--set", "train.checkpoint_every=25", "--set", "curvature.at=every:25",
      "--set", "curvature.probe=train:first:256", "--set", "curvature.test_probe=test:first:64",
      "--set", "curvature.top_k=2", "--set", "curvature.bottom_k=1", "--set", "curvature.trace=hutchpp",
      "--set", "curvature.trace_samples=60", "--set", "curvature.tol=1e-10"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

Eigen::MatrixXd row_major(const at::Tensor& tensor) {
  at::Tensor t = tensor.to(at::kDouble).contiguous();
  return Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      t.data_ptr<double>(), t.size(0), t.numel() / t.size(0));
}

// The exact probe-set Hessian of the softmax regression at `step` (step 0: the seed-0 initialisation).
Eigen::MatrixXd exact_hessian(const fs::path& run_dir, std::int64_t step) {
  auto network = models::make_network(kModel, 0);
  network->to(at::kCPU, at::kDouble);
  if (step > 0) train::load_checkpoint(run_dir / "checkpoints" / ("step-" + std::to_string(step) + ".pt"), *network, nullptr);
  auto parameters = network->parameters();
  data::Dataset train = data::load_dataset(data::parse_dataset_spec(kData), data::Split::kTrain);
  Eigen::MatrixXd inputs = row_major(train.images.slice(0, 0, 256).reshape({256, 16}));
  Eigen::VectorXd bias = row_major(parameters[1].reshape({1, -1})).transpose();
  return curvtrack::testing::softmax_regression_hessian(row_major(parameters[0]), bias, inputs);
}

}  // namespace

TEST_CASE("recorded eigenvalues and trace match the exact Hessian at every probe of a trajectory", "[integration]") {
  TempDir dir;
  fs::path run_dir = dir.path() / "run";
  auto run = run_tool(tracked_run(run_dir, {}));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto records = runs::read_json_log(run_dir / "curvature.jsonl");
  REQUIRE(records.size() == 9);  // steps 0, 25, ..., 200
  for (const auto& record : records) {
    std::int64_t step = record["step"];
    INFO("step " << step);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> exact(exact_hessian(run_dir, step));
    const Eigen::VectorXd& values = exact.eigenvalues();  // ascending
    REQUIRE_THAT(record["top"]["values"][0].get<double>(), WithinRel(values[values.size() - 1], 1e-8));
    REQUIRE_THAT(record["top"]["values"][1].get<double>(), WithinRel(values[values.size() - 2], 1e-8));
    // The bottom is a 17-fold null space (class-shift invariance) beside eigenvalues of 1e-8..1e-6,
    // which the HVP budget may not resolve. Whatever happens, the record must be honest: an
    // eigenvalue lies within the reported residual of the reported value, and only a converged
    // value is claimed to be the smallest (to the spectral scale).
    const auto& bottom = record["bottom"];
    double theta = bottom["values"][0], residual = bottom["residuals"][0];
    REQUIRE((values.array() - theta).abs().minCoeff() <= residual + 1e-14);
    if (bottom["converged"].get<bool>()) {
      REQUIRE(std::abs(theta - values[0]) < 1e-7 * values[values.size() - 1]);
    } else {
      REQUIRE_THAT(bottom["status"].get<std::string>(), Contains("not converged"));
    }
    double trace = values.sum();
    double estimate = record["trace"]["value"], se = record["trace"]["standard_error"];
    INFO("trace " << trace << " estimate " << estimate << " +- " << se);
    REQUIRE(std::abs(estimate - trace) <= std::max(4 * se, 1e-9 * std::abs(trace)));
    REQUIRE(record["settings"]["dtype"] == "float64");
    REQUIRE(record.contains("test_probe"));
  }
}

TEST_CASE("warm-started probes need fewer HVPs than cold ones on a slowly changing trajectory", "[integration]") {
  TempDir dir;
  auto total_hvps = [&](const std::string& warm) {
    fs::path run_dir = dir.path() / ("run-" + warm);
    auto run = run_tool(tracked_run(run_dir, {"--set", "curvature.warm_start=" + warm, "--set", "schedule.lr_max=0.05",
                                               "--set", "curvature.bottom_k=0", "--set", "curvature.trace=none",
                                               "--set", "curvature.top_k=3"}));
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    std::int64_t hvps = 0;
    auto records = runs::read_json_log(run_dir / "curvature.jsonl");
    for (std::size_t i = 1; i < records.size(); ++i) {
      REQUIRE(records[i]["top"]["warm_started"] == (warm == "true"));
      hvps += records[i]["top"]["hvps"].get<std::int64_t>();
    }
    return hvps;
  };
  std::int64_t warm = total_hvps("true"), cold = total_hvps("false");
  INFO("HVPs over 8 probes: warm " << warm << ", cold " << cold);
  REQUIRE(warm < cold);
}

TEST_CASE("the stability ratio uses the learning rate and cyclical momentum in force at the probed step", "[integration]") {
  TempDir dir;
  fs::path run_dir = dir.path() / "run";
  auto run = run_tool(tracked_run(run_dir, {"--set", "curvature.at=0,0.25,peak,0.75,end"}));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  // Smith 1cycle over 200 steps (cycle_frac 0.9, div 10, momentum 0.95 -> 0.85 -> 0.95):
  // the peak is at step 90; momentum falls linearly to 0.85 there.
  for (const auto& record : runs::read_json_log(run_dir / "curvature.jsonl")) {
    std::int64_t step = record["step"];
    double t = static_cast<double>(std::min<std::int64_t>(step, 199));
    double lr = t <= 90 ? 0.05 + (0.5 - 0.05) * t / 90 : (t <= 180 ? 0.5 - (0.5 - 0.05) * (t - 90) / 90 : 0.05 - (0.05 - 0.05 / 100) * (t - 180) / 19);
    double momentum = t <= 90 ? 0.95 - 0.1 * t / 90 : (t <= 180 ? 0.85 + 0.1 * (t - 90) / 90 : 0.95);
    INFO("step " << step << " label " << record["label"]);
    REQUIRE_THAT(record["lr"].get<double>(), WithinRel(lr, 1e-12));
    REQUIRE_THAT(record["momentum"].get<double>(), WithinRel(momentum, 1e-12));
    REQUIRE_THAT(record["stability"]["limit"].get<double>(), WithinRel(2 * (1 + momentum), 1e-12));
    REQUIRE_THAT(record["stability"]["lr_times_lambda_max"].get<double>(),
                 WithinRel(lr * record["top"]["values"][0].get<double>(), 1e-12));
    if (step == 90) REQUIRE(record["label"] == "peak");
    if (step == 200) REQUIRE(record["label"] == "end");
  }
}

TEST_CASE("a diverged run stops probing and says why", "[integration]") {
  TempDir dir;
  fs::path run_dir = dir.path() / "run";
  auto run = run_tool(tracked_run(run_dir, {"--set", "schedule.lr_max=1e5", "--set", "model.dtype=float32"}));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto records = runs::read_json_log(run_dir / "curvature.jsonl");
  REQUIRE_FALSE(records.empty());
  REQUIRE(records.back()["label"] == "stopped");
  REQUIRE_THAT(records.back()["probing_stopped"].get<std::string>(), Contains("diverged"));
}

TEST_CASE("offline probes of saved checkpoints agree with the online records and never duplicate", "[integration]") {
  TempDir dir;
  fs::path run_dir = dir.path() / "run";
  auto run = run_tool(tracked_run(run_dir, {}));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto online = runs::read_json_log(run_dir / "curvature.jsonl");
  fs::remove(run_dir / "curvature.jsonl");

  auto offline_run = run_tool({"spectrum", "--run", run_dir.string(), "--checkpoints", "all", "--threads", "1"});
  INFO(offline_run.err);
  REQUIRE(offline_run.exit_code == 0);
  auto offline = runs::read_json_log(run_dir / "curvature.jsonl");
  REQUIRE(offline.size() == 8);  // checkpoints at 25, 50, ..., 200
  for (const auto& record : offline) {
    auto match = std::find_if(online.begin(), online.end(), [&](const auto& r) { return r["step"] == record["step"]; });
    REQUIRE(match != online.end());
    INFO("step " << record["step"]);
    REQUIRE(record["offline"] == true);
    for (int i = 0; i < 2; ++i) {
      REQUIRE_THAT(record["top"]["values"][i].get<double>(), WithinRel((*match)["top"]["values"][i].get<double>(), 1e-8));
    }
    REQUIRE_THAT(record["train_probe"]["loss"].get<double>(), WithinRel((*match)["train_probe"]["loss"].get<double>(), 1e-12));
  }
  auto again = run_tool({"spectrum", "--run", run_dir.string(), "--checkpoints", "every:50", "--quiet"});
  REQUIRE(again.exit_code == 0);
  REQUIRE(runs::read_json_log(run_dir / "curvature.jsonl").size() == 8);
  auto missing = run_tool({"spectrum", "--run", run_dir.string(), "--checkpoints", "30"});
  REQUIRE(missing.exit_code == 2);
  REQUIRE_THAT(missing.err, Contains("step 30"));
}

TEST_CASE("the test-loss Hessian is measured on request and matches its exact eigenvalue", "[integration]") {
  TempDir dir;
  fs::path run_dir = dir.path() / "run";
  auto run = run_tool(tracked_run(run_dir, {"--set", "curvature.test_hessian=true", "--set", "curvature.at=0"}));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto records = runs::read_json_log(run_dir / "curvature.jsonl");
  REQUIRE(records.size() == 1);
  // The seed-0 initialisation and the first 64 test examples give the exact test Hessian.
  auto network = models::make_network(kModel, 0);
  network->to(at::kCPU, at::kDouble);
  auto parameters = network->parameters();
  data::Dataset test = data::load_dataset(data::parse_dataset_spec(kData), data::Split::kTest);
  Eigen::MatrixXd inputs = row_major(test.images.slice(0, 0, 64).reshape({64, 16}));
  Eigen::VectorXd bias = row_major(parameters[1].reshape({1, -1})).transpose();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> exact(
      curvtrack::testing::softmax_regression_hessian(row_major(parameters[0]), bias, inputs));
  const auto& measured = records[0]["test_hessian"];
  REQUIRE(measured["examples"] == 64);
  REQUIRE_THAT(measured["top"]["values"][0].get<double>(), WithinRel(exact.eigenvalues().maxCoeff(), 1e-8));
}
