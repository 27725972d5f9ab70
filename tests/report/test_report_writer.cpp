#include "test_prelude.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "curvtrack/report/report_writer.hpp"
#include "synthetic_runs.hpp"
#include "test_support.hpp"

using namespace curvtrack::report;
using curvtrack::testing::count_of;
using curvtrack::testing::TempDir;
using curvtrack::testing::slurp;
using curvtrack::testing::SyntheticRun;
using curvtrack::testing::write_study;
using curvtrack::testing::write_synthetic_run;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
namespace fs = std::filesystem;

namespace {

bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

ReportResult report_on(const std::vector<fs::path>& dirs, const fs::path& out, std::int64_t min_seeds = 8) {
  ReportOptions options;
  options.out = out;
  options.minimum_seeds = min_seeds;
  options.render = have_gnuplot();
  return write_report(dirs, options);
}

const PairedComparison& primary(const ReportResult& result, const std::string& key, std::size_t table = 0) {
  const auto& t = result.tables.at(table);
  for (std::size_t i = 0; i < t.primary_keys.size(); ++i) {
    if (t.primary_keys[i] == key) return t.primary[i];
  }
  throw std::runtime_error("no primary comparison " + key);
}

std::string verdict_of(const ReportResult& result, const std::string& key, std::size_t table = 0) {
  const auto& t = result.tables.at(table);
  for (std::size_t i = 0; i < t.primary_keys.size(); ++i) {
    if (t.primary_keys[i] == key) return t.verdicts[i];
  }
  return "(none)";
}

// No leftover staging or backup folders next to the report.
std::size_t hidden_entries(const fs::path& dir) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(dir)) count += entry.path().filename().string()[0] == '.' ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE("a planted halving of λmax over 10 seeds reads as flatter with Holm p < 0.05", "[unit]") {
  TempDir scratch;
  write_study(scratch.path() / "study", 10, 0.5);
  auto result = report_on({scratch.path() / "study"}, scratch.path() / "out");
  REQUIRE(result.baseline == "constant");
  REQUIRE(result.compared == "onecycle");
  REQUIRE(result.tables.size() == 3);
  const auto& lambda = primary(result, "lambda_max");
  INFO(verdict_of(result, "lambda_max"));
  CHECK(lambda.n == 10);
  CHECK(lambda.p_holm < 0.05);
  CHECK_THAT(lambda.ratio, WithinRel(0.5, 0.01));
  CHECK(lambda.ratio_ci.low < 0.5);
  CHECK(lambda.ratio_ci.high > 0.49);
  CHECK_THAT(verdict_of(result, "lambda_max"), Contains("λmax at the end: onecycle is flatter than constant"));
  // trace and sharpness were planted equal (±2% alternating: mean log ratio exactly 0).
  CHECK_THAT(verdict_of(result, "trace"), Contains("no significant difference between onecycle and constant"));
  CHECK(primary(result, "trace").p_holm > 0.5);
  // Holm across the four flatness measures: λmax's adjusted p is at most 4 times its raw p.
  CHECK(lambda.p_holm <= 4 * lambda.t.p_value + 1e-15);
  // Test accuracy was made to fall with λmax: tau across runs is exactly -1.
  bool found = false;
  for (const auto& r : result.tables[0].relevance) {
    if (r.measure == "λmax at the end" && r.against == "test accuracy" && r.over == "runs") {
      found = true;
      CHECK_THAT(r.tau.statistic, WithinAbs(-1.0, 1e-12));
      CHECK(r.tau.n == 20);
    }
  }
  CHECK(found);
  const std::string md = slurp(scratch.path() / "out" / "report.md");
  CHECK_THAT(md, Contains("λmax at the end: onecycle is flatter than constant"));
  CHECK_THAT(md, Contains("| λmax at the end | 10 |"));
  CHECK_THAT(md, Contains("Comparison at equal training loss"));
  // The equal-loss alignment also finds the planted difference (λ grows along training, but
  // constant reaches onecycle's higher final loss only at its end probe here).
  CHECK(primary(result, "lambda_max", 2).ratio < 0.6);
  CHECK(hidden_entries(scratch.path()) == 0);
}

TEST_CASE("no planted difference reads as no significant difference", "[unit]") {
  TempDir scratch;
  write_study(scratch.path() / "study", 10, 1.0);
  auto result = report_on({scratch.path() / "study"}, scratch.path() / "out");
  for (const char* key : {"lambda_max", "trace", "adaptive_sharpness", "epsilon_sharpness"}) {
    INFO(key << ": " << verdict_of(result, key));
    CHECK_THAT(verdict_of(result, key), Contains("no significant difference"));
    CHECK(primary(result, key).p_holm > 0.05);
  }
  CHECK_THAT(slurp(scratch.path() / "out" / "report.md"), Contains("no significant difference"));
}

TEST_CASE("five seeds are not enough for a claim even with a planted difference", "[unit]") {
  TempDir scratch;
  write_study(scratch.path() / "study", 5, 0.5);
  auto result = report_on({scratch.path() / "study"}, scratch.path() / "out");
  CHECK(primary(result, "lambda_max").n == 5);
  CHECK_THAT(verdict_of(result, "lambda_max"), Contains("not enough seeds for a claim (n = 5 < 8)"));
  CHECK_THAT(slurp(scratch.path() / "out" / "report.md"), Contains("not enough seeds for a claim"));
}

TEST_CASE("a diverged run is listed with its status and left out of the pairs by name", "[unit]") {
  TempDir scratch;
  write_study(scratch.path() / "study", 10, 0.5);
  SyntheticRun constant;
  constant.seed = 10;
  write_synthetic_run(scratch.path() / "study" / "constant" / "seed-10", constant);
  SyntheticRun diverged = constant;
  diverged.arm = "onecycle";
  diverged.status = "diverged";
  write_synthetic_run(scratch.path() / "study" / "onecycle" / "seed-10", diverged);
  auto result = report_on({scratch.path() / "study"}, scratch.path() / "out");
  CHECK(result.runs.size() == 22);
  CHECK(primary(result, "lambda_max").n == 10);
  const auto& excluded = result.tables[0].aligned.excluded;
  REQUIRE(excluded.size() == 1);
  CHECK(excluded[0] == "seed 10: onecycle diverged");
  const std::string md = slurp(scratch.path() / "out" / "report.md");
  CHECK_THAT(md, Contains("| onecycle | 10 | diverged |"));
  CHECK_THAT(md, Contains("the run diverged at step 39"));
  CHECK_THAT(md, Contains("seed 10: onecycle diverged"));
  CHECK_THAT(slurp(scratch.path() / "out" / "tables" / "runs.csv"), Contains("onecycle,10,diverged,100,40,no,diverged"));
}

TEST_CASE("missing and partial run directories are reported by name and the report completes", "[unit]") {
  TempDir scratch;
  write_study(scratch.path() / "study", 3, 0.5);
  const fs::path partial = scratch.path() / "study" / "onecycle" / "seed-9";
  fs::create_directories(partial);
  std::ofstream(partial / "config.ini") << "[run]\nname = onecycle\nseed = 9\n";
  const fs::path torn = scratch.path() / "torn";
  write_synthetic_run(torn, SyntheticRun{});
  std::ofstream(torn / "meta.json") << "{\"status\": \"compl";  // cut short by a crash
  const fs::path missing = scratch.path() / "not-there";
  auto result = report_on({scratch.path() / "study", torn, missing}, scratch.path() / "out");
  CHECK(result.runs.size() == 6);
  REQUIRE(result.skipped.size() == 3);
  const std::string md = slurp(scratch.path() / "out" / "report.md");
  CHECK_THAT(md, Contains("skipped: " + partial.string() + ": no meta.json"));
  CHECK_THAT(md, Contains("skipped: " + torn.string() + ": meta.json is not a valid JSON object"));
  CHECK_THAT(md, Contains("skipped: " + missing.string() + ": does not exist"));
  CHECK(fs::exists(scratch.path() / "out" / "report.html"));
  CHECK_THAT(slurp(scratch.path() / "out" / "tables" / "skipped.csv"), Contains("does not exist"));
}

TEST_CASE("report.html is self-contained: inline SVG, no scripts, no external references", "[unit]") {
  TempDir scratch;
  write_study(scratch.path() / "study", 4, 0.5);
  auto result = report_on({scratch.path() / "study"}, scratch.path() / "out");
  std::string html = slurp(scratch.path() / "out" / "report.html");
  REQUIRE_FALSE(html.empty());
  if (!have_gnuplot()) {
    WARN("gnuplot not found: figures not rendered, the inline-SVG check is skipped");
  } else {
    CHECK(result.warnings.empty());
    CHECK(count_of(html, "<svg") >= 8);
    CHECK(html.find("<!DOCTYPE svg") == std::string::npos);  // the DOCTYPE names an external DTD
    CHECK(html.find("<?xml") == std::string::npos);
    // Figures have distinct ids, so their <use> references resolve within the figure.
    CHECK(html.find("id=\"lambda_max-gnuplot_canvas\"") != std::string::npos);
    CHECK(html.find("id=\"trace-gnuplot_canvas\"") != std::string::npos);
  }
  // The only URLs allowed are the SVG namespace names.
  std::string stripped = std::regex_replace(html, std::regex("xmlns(:xlink)?=\"http://www\\.w3\\.org/(2000/svg|1999/xlink)\""), "");
  CHECK(stripped.find("http://") == std::string::npos);
  CHECK(stripped.find("https://") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK_THAT(html, Contains("onecycle is flatter than constant") || Contains("not enough seeds"));
}

TEST_CASE("figures and tables are written as data, scripts and tidy CSV", "[unit]") {
  TempDir scratch;
  write_study(scratch.path() / "study", 3, 0.5);
  ReportOptions options;
  options.out = scratch.path() / "out";
  options.render = false;
  auto result = write_report({scratch.path() / "study"}, options);
  const fs::path out = scratch.path() / "out";
  for (const char* name : {"lambda_max", "trace", "stability", "schedule", "loss", "accuracy", "weight_norm",
                           "adaptive_sharpness", "epsilon_sharpness", "esd_peak", "esd_end", "lrfind"}) {
    INFO(name);
    CHECK(fs::exists(out / "figures" / (std::string(name) + ".dat")));
    CHECK_THAT(slurp(out / "figures" / (std::string(name) + ".gp")), Contains(std::string(name) + ".dat"));
    CHECK_FALSE(fs::exists(out / "figures" / (std::string(name) + ".svg")));
  }
  for (const char* name : {"runs", "skipped", "end_measures", "comparison", "pairs", "relevance", "probe_trajectories",
                           "metrics_trajectories"}) {
    INFO(name);
    CHECK(fs::exists(out / "tables" / (std::string(name) + ".csv")));
  }
  // comparison.csv: one header + 3 alignments x (4 flatness + 3 covariates); constant is probed
  // at onecycle's peak step (45), so the peak alignment has pairs too.
  std::string comparison = slurp(out / "tables" / "comparison.csv");
  CHECK(count_of(comparison, "\n") == 1 + 3 * 7);
  CHECK_THAT(comparison, Contains("end,λmax at the end,flatness,3,constant,"));
  // runs.csv: 6 runs + header.
  CHECK(count_of(slurp(out / "tables" / "runs.csv"), "\n") == 7);
}

TEST_CASE("an existing report is replaced whole and other folders are never overwritten", "[unit]") {
  TempDir scratch;
  write_study(scratch.path() / "study", 2, 0.5);
  const fs::path out = scratch.path() / "out";
  report_on({scratch.path() / "study"}, out);
  std::ofstream(out / "stale.txt") << "from an earlier report";
  report_on({scratch.path() / "study"}, out);
  CHECK(fs::exists(out / "report.md"));
  CHECK_FALSE(fs::exists(out / "stale.txt"));
  CHECK(hidden_entries(scratch.path()) == 0);

  const fs::path precious = scratch.path() / "precious";
  fs::create_directories(precious);
  std::ofstream(precious / "thesis.tex") << "do not delete";
  CHECK_THROWS_WITH(report_on({scratch.path() / "study"}, precious), Contains("refusing to replace"));
  CHECK(slurp(precious / "thesis.tex") == "do not delete");
  CHECK(hidden_entries(scratch.path()) == 0);
}

TEST_CASE("default arms are constant then onecycle, else alphabetical, and a bad --compare names the arms", "[unit]") {
  CHECK(default_arms({"onecycle", "constant+anneal", "constant"}) == std::make_pair(std::string("constant"), std::string("onecycle")));
  CHECK(default_arms({"zeta", "alpha", "constant"}) == std::make_pair(std::string("constant"), std::string("alpha")));
  CHECK(default_arms({"b", "a"}) == std::make_pair(std::string("a"), std::string("b")));
  CHECK(default_arms({"only"}).first.empty());

  TempDir scratch;
  write_study(scratch.path() / "study", 2, 0.5);
  ReportOptions options;
  options.out = scratch.path() / "out";
  options.baseline = "constant";
  options.compared = "cosine";
  CHECK_THROWS_WITH(write_report({scratch.path() / "study"}, options), Contains("no run of arm 'cosine'") && Contains("constant, onecycle"));
  CHECK_FALSE(fs::exists(scratch.path() / "out"));
}

TEST_CASE("a single arm gives a report that says there is nothing to compare", "[unit]") {
  TempDir scratch;
  write_synthetic_run(scratch.path() / "only", SyntheticRun{});
  ReportOptions options;
  options.out = scratch.path() / "out";
  options.render = false;
  auto result = write_report({scratch.path() / "only"}, options);
  CHECK(result.tables.empty());
  CHECK_THAT(slurp(scratch.path() / "out" / "report.md"), Contains("Nothing to compare"));
}

TEST_CASE("batch sharpness lines are drawn dashed beside lambda_max and are not probes", "[unit]") {
  TempDir scratch;
  const fs::path run = scratch.path() / "run";
  write_synthetic_run(run, SyntheticRun{});
  // Batch-sharpness lines (curvature.batch_sharpness = every:30) among the probes, in step order.
  std::vector<nlohmann::json> lines;
  {
    std::ifstream in(run / "curvature.jsonl");
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
    }
  }
  const std::size_t probes = lines.size();
  for (std::int64_t step : {0, 30, 60, 90}) {
    lines.push_back({{"step", step}, {"label", "batch_sharpness"}, {"lr", 0.1}, {"momentum", 0.0},
                     {"batch_sharpness", {{"lambda_max", 40.0 + 0.5 * static_cast<double>(step)}, {"hvps", 3}}},
                     {"hvps", 3}, {"seconds", 0.01}});
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const nlohmann::json& a, const nlohmann::json& b) { return a["step"] < b["step"]; });
  {
    std::ofstream out(run / "curvature.jsonl");
    for (const auto& line : lines) out << line.dump() << "\n";
  }
  ReportOptions options;
  options.out = scratch.path() / "out";
  options.render = false;
  write_report({run}, options);
  const std::string data = slurp(scratch.path() / "out" / "figures" / "lambda_max.dat");
  CHECK_THAT(data, Contains("batch sharpness, arm constant"));
  for (const char* point : {"\"constant\" 0 0 40\n", "\"constant\" 0 0.3 55\n", "\"constant\" 0 0.9 85\n"}) {
    CHECK_THAT(data, Contains(point));
  }
  CHECK_THAT(slurp(scratch.path() / "out" / "report.md"), Contains("own minibatch loss (dashed)"));
  // Not probes: the probe trajectories keep one row per probe.
  const std::string trajectories = slurp(scratch.path() / "out" / "tables" / "probe_trajectories.csv");
  CHECK(static_cast<std::size_t>(count_of(trajectories, "\n")) == 1 + probes);
}
