#include "test_prelude.hpp"

#include <fstream>
#include <functional>
#include <sstream>

#include <Eigen/Eigenvalues>
#include <ATen/ATen.h>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/curvature/curvature_operator.hpp"
#include "curvtrack/data/dataset.hpp"
#include "curvtrack/models/network.hpp"
#include "curvtrack/train/checkpoint.hpp"
#include "dense_reference.hpp"
#include "curvtrack/core/signals.hpp"
#include "curvtrack/runner/offline_probes.hpp"
#include "curvtrack/runner/prepared_run.hpp"
#include "curvtrack/runner/rank_support.hpp"
#include "curvtrack/runner/training.hpp"
#include "curvtrack/runs/curvature_record.hpp"
#include "curvtrack/runs/json_log.hpp"
#include "test_support.hpp"

using namespace curvtrack;
using Catch::Matchers::Contains;

namespace {

// A small synthetic run (8x8 images, 4 classes) that trains in well under a second.
std::vector<std::string> small_run(std::int64_t steps) {
  return {"data.dataset=gmm:512:4:8:1", "data.test_examples=64", "data.batch_size=32", "model.spec=mlp:64-16-4:tanh",
          "schedule.policy=onecycle", "schedule.lr_max=0.3", "train.steps=" + std::to_string(steps),
          "train.log_every=5", "train.checkpoint_every=20", "train.threads=1", "run.seed=11"};
}

runner::TrainingResult train_in(const std::filesystem::path& dir, const std::vector<std::string>& assignments,
                             bool resume = false, double max_seconds = 0) {
  runner::RunRequest request;
  request.assignments = assignments;
  request.run_dir = dir.string();
  request.resume = resume;
  request.quiet = true;
  runner::PreparedRun prepared = runner::prepare_run(request);
  runner::RunResources resources = runner::load_run_resources(prepared);
  auto group = runner::join_ranks(60);
  return runner::train_run(prepared, resources, *group, {max_seconds, true});
}

std::vector<std::int64_t> record_steps(const std::filesystem::path& curvature) {
  std::vector<std::int64_t> steps;
  for (const auto& record : runs::read_json_log(curvature)) steps.push_back(record["step"].get<std::int64_t>());
  return steps;
}

nlohmann::json meta_of(const std::filesystem::path& dir) {
  return nlohmann::json::parse(testing::slurp(dir / "meta.json"));
}

}  // namespace

TEST_CASE("a run trains in-process to completion and records its start and end", "[unit]") {
  testing::TempDir dir;
  runner::TrainingResult result = train_in(dir.path() / "run", small_run(60));
  CHECK(result.outcome.status == runs::RunStatus::kCompleted);
  CHECK(result.outcome.step == 60);
  nlohmann::json meta = meta_of(dir.path() / "run");
  CHECK(meta["status"] == "completed");
  CHECK(meta["steps_done"] == 60);
  CHECK(meta["processes"] == 1);
  CHECK(meta["total_steps"] == 60);
  CHECK(std::filesystem::exists(dir.path() / "run" / "config.ini"));
  CHECK(std::filesystem::exists(dir.path() / "run" / "checkpoints" / "step-60.pt"));
}

TEST_CASE("probes are taken at exactly the declared points", "[unit]") {
  testing::TempDir dir;
  std::vector<std::string> run = small_run(40);
  for (const char* probe : {"curvature.at=0, 0.5, peak, end", "curvature.probe=train:first:64",
                            "curvature.test_probe=none", "curvature.trace=none", "curvature.top_k=1"}) {
    run.push_back(probe);
  }
  train_in(dir.path() / "run", run);
  // onecycle (smith) peaks at the middle of its cycle: cycle_frac 0.9 of 40 steps -> step 18.
  CHECK(record_steps(dir.path() / "run" / "curvature.jsonl") == std::vector<std::int64_t>{0, 18, 20, 40});
}

namespace {

// Runs `run` whole and in two processes (the first stopped by its time budget): the same records.
void check_resume_equals_whole(const std::vector<std::string>& run) {
  testing::TempDir dir;
  train_in(dir.path() / "whole", run);

  core::reset_signal_flags();
  runner::TrainingResult first = train_in(dir.path() / "parts", run, false, 0.05);
  INFO("the first process ended at step " << first.outcome.step);
  CHECK(first.outcome.status == runs::RunStatus::kPreempted);
  CHECK(meta_of(dir.path() / "parts")["status"] == "preempted");
  runner::TrainingResult rest = train_in(dir.path() / "parts", run, true);
  CHECK(rest.outcome.status == runs::RunStatus::kCompleted);
  CHECK(meta_of(dir.path() / "parts")["processes"] == 2);
  CHECK(testing::slurp(dir.path() / "parts" / "metrics.csv") == testing::slurp(dir.path() / "whole" / "metrics.csv"));
  // Wall times differ between processes; "seconds" is dropped at every depth.
  std::function<void(nlohmann::json&)> drop_seconds = [&](nlohmann::json& part) {
    if (part.is_object()) part.erase("seconds");
    if (part.is_object() || part.is_array()) {
      for (auto& item : part) drop_seconds(item);
    }
  };
  auto without_seconds = [&](const std::filesystem::path& file) {
    std::vector<nlohmann::json> records = runs::read_json_log(file);
    for (auto& record : records) drop_seconds(record);
    return records;
  };
  CHECK(without_seconds(dir.path() / "parts" / "curvature.jsonl") ==
        without_seconds(dir.path() / "whole" / "curvature.jsonl"));
}

// small_run trained full-batch, probed at every:K on the training step's own graph
// (curvature.track = certified) and with batch sharpness every:B.
std::vector<std::string> step_graph_run(std::int64_t steps, std::int64_t every, std::int64_t batch_every) {
  std::vector<std::string> run = small_run(steps);
  for (std::string setting : {"data.batch_size=512", "curvature.probe=train:all", "curvature.test_probe=none",
                              "curvature.trace=none", "curvature.top_k=1", "curvature.track=certified"}) {
    run.push_back(setting);
  }
  run.push_back("curvature.at=every:" + std::to_string(every));
  run.push_back("curvature.batch_sharpness=every:" + std::to_string(batch_every));
  return run;
}

// The weights of a run's checkpoint at `step`, flattened (float64).
Eigen::VectorXd checkpoint_weights(const std::filesystem::path& run, std::int64_t step, at::ScalarType dtype) {
  auto network = models::make_network("mlp:64-16-4:tanh", 0);
  network->to(at::kCPU, dtype);
  train::load_checkpoint(run / "checkpoints" / ("step-" + std::to_string(step) + ".pt"), *network, nullptr);
  at::Tensor flat = curvature::flatten(network->parameters()).detach().to(at::kDouble).contiguous();
  return Eigen::Map<const Eigen::VectorXd>(flat.data_ptr<double>(), flat.numel());
}

}  // namespace

TEST_CASE("a run stopped by its time budget resumes to the same records as an uninterrupted one", "[unit]") {
  std::vector<std::string> run = small_run(400);
  run.push_back("curvature.at=every:100");
  run.push_back("curvature.probe=train:first:64");
  run.push_back("curvature.test_probe=none");
  run.push_back("curvature.trace_samples=6");
  check_resume_equals_whole(run);
}

TEST_CASE("probes and batch sharpness on the step's own graph resume to the same records", "[unit]") {
  check_resume_equals_whole(step_graph_run(400, 10, 7));
}

TEST_CASE("training is bit-identical with and without probes on the step's own graph", "[unit]") {
  testing::TempDir dir;
  std::vector<std::string> plain = small_run(60);
  plain.push_back("data.batch_size=512");
  train_in(dir.path() / "plain", plain);
  train_in(dir.path() / "probed", step_graph_run(60, 5, 3));
  CHECK(testing::slurp(dir.path() / "probed" / "metrics.csv") == testing::slurp(dir.path() / "plain" / "metrics.csv"));
  for (std::int64_t step : {20, 40, 60}) {
    INFO("step " << step);
    CHECK(checkpoint_weights(dir.path() / "probed", step, at::kFloat) ==
          checkpoint_weights(dir.path() / "plain", step, at::kFloat));
  }
  std::int64_t tracked = 0, batch = 0, extrapolated = 0;
  for (const auto& record : runs::read_curvature_records(dir.path() / "probed" / "curvature.jsonl")) {
    if (record.batch_sharpness) ++batch;
    if (record.certificate && record.certificate->passed) ++tracked;
    if (record.certificate && record.certificate->start.rfind("extrapolated from the Ritz vectors of steps", 0) == 0) {
      ++extrapolated;
    }
  }
  CHECK(batch == 20);     // steps 0, 3, ..., 57
  CHECK(tracked >= 5);    // most of the 12 probes before the end pass their certificate
  CHECK(extrapolated >= 5);  // from the third probe on (steps 10, 15, ...), unless a crossing intervenes
  // The probed steps' backward passes on their kept graphs are recorded, as training time.
  const nlohmann::json meta = meta_of(dir.path() / "probed");
  CHECK(meta["step_graph_seconds"].get<double>() > 0);
  CHECK(meta["step_graph_seconds"].get<double>() < meta["train_seconds"].get<double>());
}

TEST_CASE("certified probes on the step's graph are within their bound of the dense float64 lambda_max", "[unit]") {
  testing::TempDir dir;
  train_in(dir.path() / "run", step_graph_run(60, 5, 1000));
  data::Dataset train = data::load_dataset(data::parse_dataset_spec("gmm:512:4:8:1"), data::Split::kTrain);
  int certified = 0;
  for (const auto& record : runs::read_curvature_records(dir.path() / "run" / "curvature.jsonl")) {
    if (record.step == 0 || record.step % 20 != 0 || !record.top) continue;  // checkpoints at 20, 40, 60
    auto network = models::make_network("mlp:64-16-4:tanh", 0);
    network->to(at::kCPU, at::kDouble);
    train::load_checkpoint(dir.path() / "run" / "checkpoints" / ("step-" + std::to_string(record.step) + ".pt"),
                           *network, nullptr);
    at::Tensor inputs = train.images.to(at::kDouble);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(
        testing::row_by_row_hessian(*network, inputs, train.labels), Eigen::EigenvaluesOnly);
    const double lambda_max = dense.eigenvalues().maxCoeff();
    const double value = record.top->values.at(0);
    INFO("step " << record.step << ": recorded " << value << ", dense " << lambda_max);
    CHECK(std::abs(value - lambda_max) <= 1e-3 * lambda_max);
    if (record.certificate && record.certificate->passed) {
      ++certified;
      // float32 products: the bound holds up to their rounding.
      CHECK(std::abs(value - lambda_max) <= record.certificate->bound + 1e-5 * lambda_max);
    }
  }
  CHECK(certified >= 1);
}

TEST_CASE("a run that fails while training is marked failed in meta.json with its error", "[unit]") {
  testing::TempDir dir;
  const std::filesystem::path run_dir = dir.path() / "run";
  // curvature.jsonl cannot be written: a folder stands where the file should be.
  std::filesystem::create_directories(run_dir / "curvature.jsonl");
  std::vector<std::string> run = small_run(20);
  for (const char* probe : {"curvature.at=end", "curvature.probe=train:first:64", "curvature.test_probe=none"}) {
    run.push_back(probe);
  }
  CHECK_THROWS(train_in(run_dir, run, true));
  nlohmann::json meta = meta_of(run_dir);
  CHECK(meta["status"] == "failed");
  CHECK_THAT(meta["error"].get<std::string>(), Contains("curvature.jsonl"));
}

TEST_CASE("a config error is found before the run directory is written", "[unit]") {
  testing::TempDir dir;
  std::vector<std::string> run = small_run(20);
  run.push_back("curvature.at=end");
  run.push_back("curvature.probe=train:first:100000");
  CHECK_THROWS_AS(train_in(dir.path() / "run", run), core::UsageError);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "run"));
}

TEST_CASE("offline probes of saved checkpoints add the missing records in step order", "[unit]") {
  testing::TempDir dir;
  std::vector<std::string> run = small_run(60);
  for (const char* probe : {"curvature.at=end", "curvature.probe=train:first:64", "curvature.test_probe=none",
                            "curvature.trace=none"}) {
    run.push_back(probe);
  }
  train_in(dir.path() / "run", run);
  const std::string run_dir = (dir.path() / "run").string();
  runner::OfflineProbeSummary summary = runner::probe_checkpoints({run_dir, "all", {}, "", 1, true});
  CHECK(summary.added == 2);  // steps 20 and 40; 60 was probed during training
  CHECK(summary.already_present == 1);
  CHECK(record_steps(summary.curvature) == std::vector<std::int64_t>{20, 40, 60});

  // End measures with other settings go to their own file; curvature.jsonl is left as it was.
  const std::string before = testing::slurp(summary.curvature);
  runner::OfflineProbeSummary end = runner::probe_checkpoints(
      {run_dir, "last", {"curvature.top_k=2", "curvature.blocks=module", "curvature.dtype=float32"}, "end.jsonl", 1, true});
  CHECK(end.added == 1);
  CHECK(end.curvature == dir.path() / "run" / "end.jsonl");
  CHECK(testing::slurp(summary.curvature) == before);
  std::vector<runs::CurvatureRecord> records = runs::read_curvature_records(end.curvature);
  REQUIRE(records.size() == 1);
  CHECK(records[0].step == 60);
  CHECK(records[0].top->values.size() == 2);
  CHECK(records[0].settings["dtype"] == "float32");
  CHECK_FALSE(records[0].blocks.empty());
  CHECK_THROWS_AS(runner::probe_checkpoints({run_dir, "last", {"train.steps=5"}, "", 1, true}), core::UsageError);
}

TEST_CASE("curvature records read back into the typed record and write out byte for byte", "[unit]") {
  testing::TempDir dir;
  std::vector<std::string> run = small_run(40);
  for (const char* probe : {"curvature.at=0, end", "curvature.probe=train:first:64", "curvature.test_probe=test:first:32",
                            "curvature.top_k=2", "curvature.bottom_k=1", "curvature.trace_samples=6",
                            "curvature.esd=6x2", "curvature.test_hessian=true", "curvature.sharpness=both",
                            "curvature.sharpness_steps=2", "curvature.slices=both", "curvature.slice_points=3"}) {
    run.push_back(probe);
  }
  train_in(dir.path() / "run", run);
  std::istringstream lines(testing::slurp(dir.path() / "run" / "curvature.jsonl"));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    runs::CurvatureRecord record = runs::CurvatureRecord::from_json(nlohmann::json::parse(line), "line");
    CHECK(record.to_json().dump() == line);
    CHECK(record.measured());
    CHECK(record.top.has_value());
    CHECK(record.esd.has_value());
    CHECK(record.adaptive_sharpness.has_value());
    CHECK(record.eigen_1d.has_value());
    ++count;
  }
  CHECK(count == 2);
}
