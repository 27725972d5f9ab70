#include "test_prelude.hpp"

#include <cmath>
#include <string>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/report/study_analysis.hpp"
#include "test_support.hpp"

using namespace curvtrack;
using curvtrack::testing::TempDir;
using Catch::Matchers::Contains;

namespace {

const char* kStudy =
    "[study]\nname = s\nbase = base.ini\nseeds = 0-1\narms = c, o\n"
    "[arm.c]\nschedule.lr = 0.1\n[arm.o]\nschedule.lr = 0.2\n"
    "[analysis]\nprimary = normalised trace, adaptive sharpness rho 0.05\nsmallest_effect = 0.8\n"
    "model_arms = c, o\nonecycle_arms = o\nweight_decay_arms = \nend_records = end.jsonl, end2.jsonl\n"
    "normalised_blocks = 0, 4\nresamples = 200\n";

// A run folder in memory: a constant schedule at `lr` with momentum `momentum`, and one end
// record with blocks 0, 4 (normalised) and 9 (other).
report::LoadedRun constant_run(const TempDir& dir, const std::string& arm, double lr, double momentum) {
  report::LoadedRun run;
  run.dir = dir.path();
  run.arm = arm;
  run.seed = 3;
  run.status = "completed";
  run.total_steps = 50;
  run.config = {{"schedule.policy", "constant"}, {"schedule.lr", std::to_string(lr)},
                {"schedule.momentum", std::to_string(momentum)}, {"curvature.test_probe", "train:all"},
                {"schedule.lr_min", ""}};
  runs::CurvatureRecord last;
  last.step = 50;
  last.train_probe = runs::SetLoss{0.5, 0.8, 1024};
  last.test_probe = runs::SetLoss{0.25, 0.9, 60000};
  run.curvature.push_back(last);
  return run;
}

// One line of the records format (a JSON object per line).
const char* kEndRecord =
    R"({"step": 50, "label": "end", "top": {"values": [12.5]}, "trace": {"value": 40.0}, )"
    R"("blocks": {"0": {"weight_norm": 2.0, "trace": {"value": 3.0}}, "4": {"weight_norm": 0.5, "trace": {"value": 8.0}}, )"
    R"("9": {"weight_norm": 7.0, "trace": {"value": 5.0}}}, )"
    R"("sharpness": {"adaptive": {"kind": "adaptive", "rho": 0.05, "sharpness": 0.012}}, )"
    R"("gradient_norm": 0.1, "test_probe": {"loss": 0.3, "accuracy": 0.88, "examples": 10000}})";

}  // namespace

TEST_CASE("the [analysis] section is read with its plan, arms and files", "[unit]") {
  TempDir dir;
  const report::AnalysisSpec spec = report::read_analysis_spec(dir.write("study.ini", kStudy));
  CHECK(spec.plan.primary == std::vector<std::string>{"normalised trace", "adaptive sharpness rho 0.05"});
  CHECK(spec.plan.resamples == 200);
  CHECK(spec.onecycle_arms == std::vector<std::string>{"o"});
  CHECK(spec.weight_decay_arms.empty());
  CHECK(spec.end_records == std::vector<std::string>{"end.jsonl", "end2.jsonl"});
  CHECK(spec.normalised_blocks == std::vector<std::string>{"0", "4"});
}

TEST_CASE("a bad [analysis] section is a usage error naming the file, line and key", "[unit]") {
  TempDir dir;
  const std::string base = "[study]\nname = s\n";
  CHECK_THROWS_WITH(report::read_analysis_spec(dir.write("a.ini", base)), Contains("no [analysis] section"));
  CHECK_THROWS_WITH(report::read_analysis_spec(dir.write("b.ini", base + "[analysis]\nprimery = x\n")),
                    Contains("b.ini:4: unknown key 'primery'") && Contains("did you mean 'primary'"));
  CHECK_THROWS_WITH(report::read_analysis_spec(dir.write("c.ini", base + "[analysis]\nprimary = x\nalpha = lots\n")),
                    Contains("c.ini:5: [analysis] alpha"));
  CHECK_THROWS_AS(report::read_analysis_spec(dir.write("d.ini", base + "[analysis]\nprimary = x\nend_records = e\n")),
                  core::UsageError);  // no onecycle arm
}

TEST_CASE("the mean effective learning rate of a constant schedule is lr / (1 - momentum)", "[unit]") {
  TempDir dir;
  CHECK(std::abs(report::mean_effective_lr(constant_run(dir, "c", 0.1, 0.9)) - 1.0) < 1e-12);
  CHECK(std::abs(report::mean_effective_lr(constant_run(dir, "c", 0.3, 0.0)) - 0.3) < 1e-12);
  report::LoadedRun broken = constant_run(dir, "c", 0.1, 0.9);
  broken.config["schedule.policy"] = "zigzag";
  CHECK_THROWS_AS(report::mean_effective_lr(broken), core::DataError);
}

TEST_CASE("analysis rows carry the end measures, the normalised trace and the fit on the evaluation set", "[unit]") {
  TempDir dir;
  const report::AnalysisSpec spec = report::read_analysis_spec(dir.write("study.ini", kStudy));
  dir.write("end.jsonl", std::string("{\"step\": 50, \"label\": \"stale\"}\n") + kEndRecord + "\n");
  std::vector<report::LoadedRun> runs = {constant_run(dir, "o", 0.2, 0.5), constant_run(dir, "c", 0.1, 0.9)};
  runs[1].status = "running";
  std::vector<std::string> notes;
  const std::vector<report::AnalysisRow> rows = report::analysis_rows(runs, spec, &notes);
  REQUIRE(rows.size() == 1);
  const report::AnalysisRow& row = rows.front();
  CHECK(row.arm == "o");
  CHECK(row.onecycle);
  CHECK_FALSE(row.weight_decay);
  CHECK(row.in_model);
  CHECK(std::abs(row.mean_effective_lr - 0.4) < 1e-12);
  // 3 * 2^2 + 8 * 0.5^2 = 14; the classifier block's 5 is reported apart.
  CHECK(row.measures.at("normalised trace") == 14.0);
  CHECK(row.measures.at("other-block trace") == 5.0);
  CHECK(row.measures.at("lambda_max") == 12.5);
  CHECK(row.measures.at("trace") == 40.0);
  CHECK(row.measures.at("adaptive sharpness rho 0.05") == 0.012);
  CHECK(row.measures.at("test accuracy") == 0.88);
  // curvature.test_probe = train:all: the fit is read from the run's evaluation set, not the probe set.
  CHECK(row.measures.at("train loss") == 0.25);
  CHECK(row.measures.at("train accuracy") == 0.9);
  // The running run and the missing second end-record file are named, never silently dropped.
  REQUIRE(notes.size() == 2);
  CHECK_THAT(notes[0], Contains("end2.jsonl: missing"));
  CHECK_THAT(notes[1], Contains("running; not analysed"));
  const std::string csv = report::analysis_rows_csv(rows);
  CHECK_THAT(csv, Contains("arm,seed,onecycle,weight_decay,in_model,trained,mean_effective_lr,"));
  CHECK_THAT(csv, Contains("normalised trace"));
  CHECK_THAT(csv, Contains("block 4 weight norm"));  // the error estimates and sizes travel with the values
  CHECK(row.audit.at("test examples") == 10000);
  CHECK_THAT(csv, Contains("\no,3,1,0,1,1,"));
  CHECK(row.trained);  // no not_trained_loss in the plan: every run counts as trained
}

TEST_CASE("not_trained_loss marks runs whose final training loss is at or above it", "[unit]") {
  TempDir dir;
  const report::AnalysisSpec spec =
      report::read_analysis_spec(dir.write("study.ini", std::string(kStudy) + "not_trained_loss = 2.0\n"));
  REQUIRE(spec.not_trained_loss == 2.0);
  dir.write("end.jsonl", std::string(kEndRecord) + "\n");
  std::vector<report::LoadedRun> runs = {constant_run(dir, "o", 0.2, 0.5), constant_run(dir, "c", 0.4, 0.9)};
  runs[1].curvature.back().test_probe = runs::SetLoss{2.3026, 0.1, 60000};  // chance level: ln 10
  runs[1].seed = 4;
  const std::vector<report::AnalysisRow> rows = report::analysis_rows(runs, spec, nullptr);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].trained);
  CHECK_FALSE(rows[1].trained);
  CHECK_THAT(report::analysis_rows_csv(rows), Contains("\nc,4,0,0,1,0,"));
  CHECK_THROWS_WITH(report::read_analysis_spec(dir.write("bad.ini", std::string(kStudy) + "not_trained_loss = -1\n")),
                    Contains("not_trained_loss must be a loss > 0"));
}
