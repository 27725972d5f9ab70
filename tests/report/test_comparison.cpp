#include "test_prelude.hpp"

#include <cmath>

#include "curvtrack/report/comparison.hpp"

using namespace curvtrack::report;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

// A probe record as curvature.jsonl holds it, read through the typed record.
curvtrack::runs::CurvatureRecord record(std::int64_t step, const std::string& label, double loss, double lambda) {
  nlohmann::json json = {{"step", step},
          {"label", label},
          {"lr", 0.1},
          {"momentum", 0.9},
          {"train_probe", {{"loss", loss}, {"accuracy", 0.5}}},
          {"test_probe", {{"loss", loss + 0.5}, {"accuracy", 0.4}}},
          {"weight_norm", {{"global", 3.0}}},
          {"top", {{"values", {lambda}}}},
          {"trace", {{"value", 10 * lambda}}}};
  return curvtrack::runs::CurvatureRecord::from_json(json, "test record");
}

LoadedRun run_of(const std::string& arm, std::int64_t seed, std::vector<curvtrack::runs::CurvatureRecord> records,
                 const std::string& status = "completed") {
  LoadedRun run;
  run.arm = arm;
  run.seed = seed;
  run.status = status;
  run.total_steps = 100;
  run.curvature = std::move(records);
  return run;
}

}  // namespace

TEST_CASE("probe_measures reads every field and leaves absent ones NaN", "[unit]") {
  auto m = probe_measures(record(50, "fraction 0.5", 0.7, 4.0), 100);
  CHECK(m.step == 50);
  CHECK(m.label == "fraction 0.5");
  CHECK(m.fraction == 0.5);
  CHECK(m.lambda_max == 4.0);
  CHECK(m.trace == 40.0);
  CHECK_THAT(m.generalization_gap, WithinAbs(0.5, 1e-15));
  CHECK(std::isnan(m.adaptive_sharpness));
  CHECK(std::isnan(m.stability_ratio));
}

TEST_CASE("test metrics come from metrics.csv when a probe has no test probe", "[unit]") {
  auto rec = record(100, "end", 0.2, 1.0);
  rec.test_probe.reset();
  std::vector<curvtrack::runs::MetricsRow> metrics = {{{"step", 100}, {"test_loss", 0.9}, {"test_accuracy", 0.8}}};
  auto m = probe_measures(rec, 100, metrics);
  CHECK(m.test_accuracy == 0.8);
  CHECK_THAT(m.generalization_gap, WithinAbs(0.7, 1e-15));
}

TEST_CASE("a test probe on the training split is never reported as test accuracy", "[unit]") {
  auto rec = record(100, "end", 0.2, 1.0);
  rec.test_probe = curvtrack::runs::SetLoss{0.15, 0.95, 60000};  // curvature.test_probe = train:all
  std::vector<curvtrack::runs::MetricsRow> metrics = {{{"step", 100}, {"test_loss", 0.9}, {"test_accuracy", 0.8}}};
  CHECK(probe_measures(rec, 100, metrics, false).test_accuracy == 0.95);
  const auto m = probe_measures(rec, 100, metrics, true);
  CHECK(m.test_accuracy == 0.8);
  CHECK_THAT(m.generalization_gap, WithinAbs(0.7, 1e-15));
  LoadedRun run;
  CHECK_FALSE(test_probe_on_training_split(run));
  run.config["curvature.test_probe"] = "train:all";
  CHECK(test_probe_on_training_split(run));
  run.config["curvature.test_probe"] = "test:all";
  CHECK_FALSE(test_probe_on_training_split(run));
}

TEST_CASE("equal training loss takes each run at its first probe below the larger final loss", "[unit]") {
  // constant ends at 0.2, onecycle at 0.3: the target is 0.3. constant first gets there at step 50
  // (0.25), onecycle only at its end probe (0.3 itself counts: <=).
  std::vector<LoadedRun> runs = {
      run_of("constant", 0, {record(0, "peak", 2.0, 1), record(50, "fraction 0.5", 0.25, 2), record(100, "end", 0.2, 3)}),
      run_of("onecycle", 0, {record(0, "fraction 0", 2.0, 1), record(45, "peak", 0.9, 5), record(50, "fraction 0.5", 0.5, 4),
                             record(100, "end", 0.3, 2)})};
  auto aligned = align_pairs(runs, "constant", "onecycle", Alignment::kEqualLoss);
  REQUIRE(aligned.pairs.size() == 1);
  CHECK(aligned.pairs[0].target_loss == 0.3);
  CHECK(aligned.pairs[0].a.step == 50);
  CHECK(aligned.pairs[0].a.lambda_max == 2);
  CHECK(aligned.pairs[0].b.step == 100);

  auto end = align_pairs(runs, "constant", "onecycle", Alignment::kEnd);
  REQUIRE(end.pairs.size() == 1);
  CHECK(end.pairs[0].a.lambda_max == 3);
  CHECK(end.pairs[0].b.lambda_max == 2);

  // The peak alignment uses onecycle's peak step (45) for both; constant has no probe there.
  auto peak = align_pairs(runs, "constant", "onecycle", Alignment::kPeak);
  CHECK(peak.pairs.empty());
  REQUIRE(peak.excluded.size() == 1);
  CHECK_THAT(peak.excluded[0], Contains("no constant probe at step 45"));
}

TEST_CASE("diverged runs, unequal budgets and unpaired seeds are excluded with the reason", "[unit]") {
  std::vector<LoadedRun> runs = {
      run_of("constant", 0, {record(100, "end", 0.2, 3)}),
      run_of("onecycle", 0, {record(0, "fraction 0", 2.0, 1)}, "diverged"),
      run_of("constant", 1, {record(100, "end", 0.2, 3)}),
      run_of("onecycle", 2, {record(100, "end", 0.2, 3)}),
      run_of("constant", 3, {record(100, "end", 0.2, 3)}),
      run_of("onecycle", 3, {record(100, "end", 0.2, 3)}),
      run_of("constant", 4, {record(100, "end", 0.2, 3)}),
      run_of("onecycle", 4, {record(200, "end", 0.2, 3)})};
  runs.back().total_steps = 200;
  auto aligned = align_pairs(runs, "constant", "onecycle", Alignment::kEnd);
  REQUIRE(aligned.pairs.size() == 1);
  CHECK(aligned.pairs[0].seed == 3);
  REQUIRE(aligned.excluded.size() == 4);
  CHECK(aligned.excluded[0] == "seed 0: onecycle diverged");
  CHECK(aligned.excluded[1] == "seed 1: no onecycle run");
  CHECK(aligned.excluded[2] == "seed 2: no constant run");
  CHECK(aligned.excluded[3] == "seed 4: unequal budgets (constant 100 steps, onecycle 200)");
}

TEST_CASE("compare reads ratios as compared / baseline and skips measures that are absent or not positive", "[unit]") {
  AlignedPairs aligned;
  aligned.alignment = Alignment::kEnd;
  for (int seed = 0; seed < 10; ++seed) {
    ProbePair pair;
    pair.seed = seed;
    pair.a = probe_measures(record(100, "end", 0.2, 4.0 + 0.1 * seed), 100);
    pair.b = probe_measures(record(100, "end", 0.2, (4.0 + 0.1 * seed) * 0.5 * std::exp(seed % 2 ? 0.01 : -0.01)), 100);
    pair.a.trace = -1;  // a negative trace estimate: no log ratio
    aligned.pairs.push_back(pair);
  }
  auto table = compare(aligned, "constant", "onecycle", " at the end", 0.05, 8, 1);
  REQUIRE(table.primary.size() == 1);
  CHECK(table.primary_keys[0] == "lambda_max");
  CHECK(table.primary[0].measure == "λmax at the end");
  CHECK_THAT(table.primary[0].ratio, WithinRel(0.5, 1e-3));
  CHECK_THAT(table.verdicts[0], Contains("onecycle is flatter than constant"));
  REQUIRE(table.not_compared.size() == 3);  // trace (negative), adaptive and ε sharpness (absent)
  CHECK_THAT(table.not_compared[0], Contains("trace at the end: 10 pair(s) with a value <= 0"));
  CHECK_THAT(table.not_compared[1], Contains("adaptive sharpness at the end: not measured"));
  REQUIRE(table.covariates.size() == 3);
  CHECK(table.covariates[0].measure == "test accuracy at the end");
  CHECK(table.covariates[0].n == 10);
  CHECK(table.covariates[0].mean_difference == 0);
}
