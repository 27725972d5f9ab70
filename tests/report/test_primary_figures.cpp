// The primary analysis' figures and document: the forest plot's data and script, the per-arm
// geometric means and t intervals against hand numbers, and rendering through gnuplot.

#include "test_prelude.hpp"

#include <cmath>

#include "curvtrack/core/shell.hpp"
#include "curvtrack/report/primary_figures.hpp"
#include "test_support.hpp"

using namespace curvtrack::report;

namespace {

AnalysisRow row(const std::string& arm, std::int64_t seed, bool onecycle, bool decay, double lr, double m) {
  AnalysisRow r;
  r.arm = arm;
  r.seed = seed;
  r.onecycle = onecycle;
  r.weight_decay = decay;
  r.mean_effective_lr = lr;
  r.measures["trace"] = m;
  r.measures["test accuracy"] = 0.8 + 0.001 * static_cast<double>(seed) + (onecycle ? 0.01 : 0.0);
  return r;
}

// Three seeds, two constant rates, 1cycle and 1cycle with weight decay; trace ~ 1/lr, 1cycle 0.6x.
std::vector<AnalysisRow> small_study() {
  std::vector<AnalysisRow> rows;
  const double wobble[] = {1.0, 1.2, 0.9};
  for (int s = 0; s < 3; ++s) {
    rows.push_back(row("constant_0.1", s, false, false, 1.0, 10.0 * wobble[s]));
    rows.push_back(row("constant_0.2", s, false, false, 2.0, 5.0 * wobble[s] * (s == 1 ? 1.05 : 1.0)));
    rows.push_back(row("onecycle", s, true, false, 1.5, 0.6 * 10.0 / 1.5 * wobble[s] * (s == 2 ? 0.97 : 1.0)));
    rows.push_back(row("onecycle_wd", s, true, true, 1.5, 0.5 * 10.0 / 1.5 * wobble[s]));
  }
  return rows;
}

AnalysisPlan plan() {
  AnalysisPlan p;
  p.primary = {"trace"};
  p.resamples = 300;
  p.permutations = 100;
  return p;
}

}  // namespace

TEST_CASE("arm points: geometric means and Student t intervals on the logs", "[primary]") {
  const std::vector<ArmPoint> points = arm_points(small_study(), "trace");
  REQUIRE(points.size() == 4);
  const ArmPoint& c = points[0];
  CHECK(c.arm == "constant_0.1");
  CHECK(c.n == 3);
  CHECK(c.lr == Approx(1.0));
  // logs of 10, 12, 9 (numpy/scipy): mean 2.328239, SD 0.145547; t_{0.975,2} = 4.302653; half width 0.361558.
  CHECK(std::log(c.mean) == Approx(2.328239).epsilon(1e-6));
  CHECK(std::log(c.ci.high / c.mean) == Approx(0.361558).epsilon(1e-5));
  CHECK(std::log(c.mean / c.ci.low) == Approx(std::log(c.ci.high / c.mean)).epsilon(1e-12));
  CHECK(points[3].weight_decay);
  CHECK(points[2].onecycle);
}

TEST_CASE("the forest plot draws every contrast with its CIs, the MDE and the band of no interest", "[primary]") {
  const PrimaryAnalysis a = primary_analysis(small_study(), plan());
  const AnalysisFigure f = forest_plot(a);
  CHECK(f.name == "primary_forest");
  CHECK(f.data.find("\"trace\"") != std::string::npos);
  CHECK(f.script.find("set logscale x") != std::string::npos);
  CHECK(f.script.find("set arrow 1 from 1, graph 0 to 1, graph 1") != std::string::npos);
  CHECK(f.script.find("rect from 0.8, graph 0 to 1.25, graph 1") != std::string::npos);
  CHECK(f.script.find("minimum detectable effect") != std::string::npos);
  CHECK(f.script.find("'trace: " + verdict_text(a.contrasts[0].verdict) + "' 1") != std::string::npos);
}

TEST_CASE("write_primary_analysis puts the forest plot and the verdict before any table", "[primary]") {
  curvtrack::testing::TempDir dir;
  std::vector<std::string> warnings;
  const bool render = curvtrack::core::on_path("gnuplot");
  const PrimaryAnalysis a = write_primary_analysis(small_study(), plan(), dir.path() / "analysis", render, &warnings);
  CHECK(warnings.empty());
  const std::string md = curvtrack::testing::slurp(dir.path() / "analysis" / "analysis.md");
  const auto forest = md.find("primary_forest");
  const auto verdict = md.find("Primary analysis (pre-registered)");
  const auto table = md.find("|");
  REQUIRE(forest != std::string::npos);
  REQUIRE(verdict != std::string::npos);
  REQUIRE(table != std::string::npos);
  CHECK(forest < table);
  CHECK(verdict < table);
  CHECK(md.find("measure_vs_lr_trace") != std::string::npos);
  for (const char* file : {"primary_forest.dat", "primary_forest.gp", "measure_vs_lr_trace.dat", "measure_vs_lr_trace.gp"}) {
    CHECK(std::filesystem::exists(dir.path() / "analysis" / "figures" / file));
  }
  if (render) {
    CHECK(std::filesystem::file_size(dir.path() / "analysis" / "figures" / "primary_forest.svg") > 1000);
    CHECK(std::filesystem::file_size(dir.path() / "analysis" / "figures" / "measure_vs_lr_trace.png") > 1000);
  }
  CHECK(a.relevance.size() == 1);
}

TEST_CASE("analysis.md tables each arm's error estimates and set sizes: one value, a range, converged / runs",
          "[primary]") {
  std::vector<AnalysisRow> rows = small_study();
  for (AnalysisRow& r : rows) {
    r.audit["test examples"] = 10000;
    r.audit["trace standard error"] = 0.5 + 0.25 * static_cast<double>(r.seed);  // 0.5, 0.75, 1 in every arm
    r.audit["top converged"] = r.arm == "onecycle" && r.seed == 1 ? 0.0 : 1.0;
  }
  curvtrack::testing::TempDir dir;
  write_primary_analysis(rows, plan(), dir.path() / "analysis", false, nullptr);
  const std::string md = curvtrack::testing::slurp(dir.path() / "analysis" / "analysis.md");
  CHECK(md.find("| error estimate or set size | constant_0.1 | constant_0.2 | onecycle | onecycle_wd |") !=
        std::string::npos);
  CHECK(md.find("| test examples | 10000 | 10000 | 10000 | 10000 |") != std::string::npos);
  CHECK(md.find("| trace standard error | 0.5 - 1 | 0.5 - 1 | 0.5 - 1 | 0.5 - 1 |") != std::string::npos);
  CHECK(md.find("| top converged | 3/3 | 3/3 | 2/3 | 3/3 |") != std::string::npos);
}
