// The primary analysis against independent references: the OLS coefficients against normal
// equations built here, CI coverage of a planted schedule effect, the verdict rules at their
// boundaries, Holm, the MDE against the README's hand numbers, and stratified against pooled tau.

#include "test_prelude.hpp"

#include <cmath>
#include <random>

#include <boost/math/distributions/students_t.hpp>

#include "curvtrack/report/primary_analysis.hpp"

using namespace curvtrack::report;

namespace {

// The study's design: four constant rates, 1cycle, and weight decay on each schedule; 10 seeds.
struct PlantedArm {
  const char* name;
  bool onecycle, weight_decay;
  double lr;
};
const PlantedArm kArms[] = {{"constant_0.05", false, false, 0.48}, {"constant_0.1", false, false, 0.95},
                            {"constant_0.2", false, false, 1.9},   {"constant_0.4", false, false, 3.8},
                            {"onecycle_lstar", true, false, 0.98}, {"constant_0.1_wd", false, true, 0.95},
                            {"onecycle_lstar_wd", true, true, 0.98}};
constexpr double kTrueRatio = 0.7;
constexpr double kLrSlope = -1.0;
constexpr double kDecayEffect = 0.3;

// log m = log 0.7 * onecycle - 1.0 * log(lr) + 0.3 * wd + seed effect + N(0, noise); a second
// measure with no schedule effect; test accuracy unrelated.
std::vector<AnalysisRow> planted_rows(std::uint64_t data_seed, double noise, int seeds = 10) {
  std::mt19937_64 engine(data_seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<AnalysisRow> rows;
  for (int s = 0; s < seeds; ++s) {
    const double seed_effect = 0.5 * normal(engine);
    for (const PlantedArm& arm : kArms) {
      AnalysisRow row;
      row.arm = arm.name;
      row.seed = 100 + s;
      row.onecycle = arm.onecycle;
      row.weight_decay = arm.weight_decay;
      row.mean_effective_lr = arm.lr * std::exp(0.01 * normal(engine));
      const double log_m = std::log(kTrueRatio) * arm.onecycle + kLrSlope * std::log(row.mean_effective_lr) +
                           kDecayEffect * arm.weight_decay + seed_effect + noise * normal(engine);
      row.measures["normalised trace"] = std::exp(log_m);
      row.measures["adaptive sharpness"] = std::exp(2.0 + seed_effect + noise * normal(engine));
      row.measures["test accuracy"] = 0.9 + 0.01 * normal(engine);
      rows.push_back(row);
    }
  }
  return rows;
}

AnalysisPlan plan_for(std::vector<std::string> primary, int resamples = 2000) {
  AnalysisPlan plan;
  plan.primary = std::move(primary);
  plan.resamples = resamples;
  plan.permutations = 200;
  return plan;
}

}  // namespace

TEST_CASE("the primary model's coefficients and SEs equal the normal equations' solution", "[primary]") {
  const std::vector<AnalysisRow> rows = planted_rows(7, 0.2);
  // The design, built here from the rows: intercept, onecycle, log LR, wd, one dummy per seed but the first.
  const Eigen::Index n = static_cast<Eigen::Index>(rows.size());
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(n, 4 + 9);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const AnalysisRow& r = rows[static_cast<std::size_t>(i)];
    x(i, 0) = 1;
    x(i, 1) = r.onecycle;
    x(i, 2) = std::log(r.mean_effective_lr);
    x(i, 3) = r.weight_decay;
    if (r.seed > 100) x(i, 4 + (r.seed - 101)) = 1;
    y(i) = std::log(r.measures.at("normalised trace"));
  }
  const Eigen::MatrixXd xtx = x.transpose() * x;
  const Eigen::VectorXd beta = xtx.ldlt().solve(x.transpose() * y);
  const double df = static_cast<double>(n - x.cols());
  const double sigma2 = (y - x * beta).squaredNorm() / df;
  const Eigen::VectorXd se = (xtx.inverse().diagonal() * sigma2).cwiseSqrt();

  const PrimaryAnalysis a = primary_analysis(rows, plan_for({"normalised trace"}, 200));
  const PrimaryContrast& c = a.contrasts.at(0);
  REQUIRE(c.fit.beta.size() == beta.size());
  for (Eigen::Index k = 0; k < beta.size(); ++k) {
    CHECK(c.fit.beta(k) == Approx(beta(k)).margin(1e-10));
    CHECK(c.fit.se(k) == Approx(se(k)).epsilon(1e-8));
  }
  CHECK(c.fit.residual_df == n - 13);
  CHECK(c.columns.at(1) == "onecycle");
  CHECK(c.columns.at(4) == "seed 101");
  CHECK(c.ratio == Approx(std::exp(beta(1))).epsilon(1e-12));
  const boost::math::students_t t(df);
  CHECK(c.p_value == Approx(2 * boost::math::cdf(boost::math::complement(t, std::fabs(beta(1) / se(1))))).epsilon(1e-9));
  // The planted slopes are recovered (noise 0.2 over 70 runs).
  CHECK(c.fit.beta(2) == Approx(kLrSlope).margin(0.15));
  CHECK(c.fit.beta(3) == Approx(kDecayEffect).margin(0.2));
  CHECK(c.runs == 70);
  CHECK(c.seeds == 10);
}

TEST_CASE("the seed-bootstrap 95% CI covers the planted ratio at about the nominal rate", "[primary]") {
  // A percentile cluster bootstrap over 10 seeds undercovers somewhat (the resampled spread is
  // (k-1)/k of the true one); 95% nominal should land between 85% and 99% over 200 data sets.
  const int repeats = 200;
  int covered = 0, lower = 0;
  for (int r = 0; r < repeats; ++r) {
    const std::vector<AnalysisRow> rows = planted_rows(1000 + r, 0.3);
    AnalysisPlan plan = plan_for({"normalised trace"}, 400);
    plan.seed = r;
    const PrimaryContrast c = primary_analysis(rows, plan).contrasts.at(0);
    covered += c.ci.low <= kTrueRatio && kTrueRatio <= c.ci.high;
    lower += c.verdict == Verdict::kLower;
  }
  const double coverage = static_cast<double>(covered) / repeats;
  INFO("coverage " << coverage);
  CHECK(coverage > 0.85);
  CHECK(coverage < 0.99);
  CHECK(lower > repeats / 2);  // a 30% effect with noise 0.3 is found most of the time
}

TEST_CASE("the bootstrap is deterministic in its seed and counts no singular resample on a full design", "[primary]") {
  const std::vector<AnalysisRow> rows = planted_rows(3, 0.3);
  AnalysisPlan plan = plan_for({"normalised trace"}, 500);
  const PrimaryContrast a = primary_analysis(rows, plan).contrasts.at(0);
  const PrimaryContrast b = primary_analysis(rows, plan).contrasts.at(0);
  CHECK(a.ci.low == b.ci.low);
  CHECK(a.ci_adjusted.high == b.ci_adjusted.high);
  CHECK(a.singular_resamples == 0);
  CHECK(a.ci_adjusted.low <= a.ci.low);
  CHECK(a.ci_adjusted.high >= a.ci.high);
  plan.seed = 1;
  CHECK(primary_analysis(rows, plan).contrasts.at(0).ci.low != a.ci.low);
}

TEST_CASE("seeds lacking a 1cycle run make singular resamples, which are redrawn and counted", "[primary]") {
  std::vector<AnalysisRow> rows;
  for (const AnalysisRow& r : planted_rows(5, 0.3)) {
    if (r.onecycle && r.seed > 102) continue;  // only seeds 100-102 have 1cycle runs
    rows.push_back(r);
  }
  const PrimaryContrast c = primary_analysis(rows, plan_for({"normalised trace"}, 300)).contrasts.at(0);
  // P(no seed of 100-102 drawn in 10 draws) = 0.7^10 = 0.028: about 9 redraws per 300.
  CHECK(c.singular_resamples > 0);
  CHECK(c.singular_resamples < 40);
}

TEST_CASE("verdict rules at their boundaries", "[primary]") {
  CHECK(classify({0.5, 0.999}, 0.8) == Verdict::kLower);
  CHECK(classify({0.5, 1.0}, 0.8) == Verdict::kInconclusive);  // touches 1: covers no effect
  CHECK(classify({1.001, 2.0}, 0.8) == Verdict::kHigher);
  CHECK(classify({0.8, 1.25}, 0.8) == Verdict::kNoMeaningfulEffect);  // closed band
  CHECK(classify({0.8, 1.25}, 1.25) == Verdict::kNoMeaningfulEffect);  // s given as 1/s
  CHECK(classify({0.79, 1.1}, 0.8) == Verdict::kInconclusive);
  CHECK(classify({0.9, 1.26}, 0.8) == Verdict::kInconclusive);
  CHECK(verdict_text(Verdict::kInconclusive) == "inconclusive");
  CHECK(verdict_text(Verdict::kLower) == "1cycle lower");
}

TEST_CASE("MDE: the README's planned numbers by hand", "[primary]") {
  // (t_{0.9875,9} + t_{0.8,9}) * 0.48 / sqrt(10) = (2.6850 + 0.8834) * 0.15179 = 0.5416 (tables).
  CHECK(minimum_detectable_log_effect(0.48 / std::sqrt(10.0), 9, 0.025, 0.8) == Approx(0.5416).margin(5e-4));
  // Large df: the normal quantiles 1.95996 + 0.84162 = 2.80158.
  CHECK(minimum_detectable_log_effect(1.0, 100000, 0.05, 0.8) == Approx(2.80158).margin(1e-3));
  CHECK(std::isnan(minimum_detectable_log_effect(1.0, 0, 0.05, 0.8)));
}

TEST_CASE("the contrast's MDE, Holm and levels follow the family size", "[primary]") {
  const std::vector<AnalysisRow> rows = planted_rows(11, 0.3);
  const PrimaryAnalysis a = primary_analysis(rows, plan_for({"normalised trace", "adaptive sharpness"}, 300));
  REQUIRE(a.contrasts.size() == 2);
  for (const PrimaryContrast& c : a.contrasts) {
    CHECK(c.adjusted_level == Approx(0.975));
    const boost::math::students_t t(static_cast<double>(c.fit.residual_df));
    const double by_hand = (boost::math::quantile(t, 1 - 0.0125) + boost::math::quantile(t, 0.8)) * c.fit.se(1);
    CHECK(c.mde_log == Approx(by_hand).epsilon(1e-12));
    CHECK(c.mde_ratio.low == Approx(std::exp(-by_hand)));
  }
  // Holm with two: the smaller p doubled, the larger max(itself, that), capped at 1.
  const double p0 = a.contrasts[0].p_value, p1 = a.contrasts[1].p_value;
  const double first = std::min(1.0, 2 * std::min(p0, p1));
  const double second = std::max(first, std::max(p0, p1));
  CHECK(a.contrasts[p0 <= p1 ? 0 : 1].p_holm == Approx(first));
  CHECK(a.contrasts[p0 <= p1 ? 1 : 0].p_holm == Approx(second));
  // The measure with no planted schedule effect should not read "1cycle lower" (it may, by chance, at 2.5%).
  CHECK(a.contrasts[0].verdict == Verdict::kLower);
  const std::string paragraph = verdict_paragraph(a);
  CHECK(paragraph.find("normalised trace: 1cycle lower") != std::string::npos);
  CHECK(paragraph.find("Everything else in this report is exploratory.") != std::string::npos);
}

TEST_CASE("the plan and the data are checked", "[primary]") {
  const std::vector<AnalysisRow> rows = planted_rows(2, 0.3);
  CHECK_THROWS_WITH(primary_analysis(rows, plan_for({})), Catch::Contains("no primary measure"));
  CHECK_THROWS_WITH(primary_analysis(rows, plan_for({"nope"})), Catch::Contains("'nope'"));
  AnalysisPlan bad = plan_for({"normalised trace"});
  bad.smallest_effect = 1.0;
  CHECK_THROWS_WITH(primary_analysis(rows, bad), Catch::Contains("smallest effect"));
  std::vector<AnalysisRow> constant_only;
  for (const AnalysisRow& r : rows) {
    if (!r.onecycle) constant_only.push_back(r);
  }
  CHECK_THROWS_WITH(primary_analysis(constant_only, plan_for({"normalised trace"})), Catch::Contains("both schedules"));
  std::vector<AnalysisRow> bad_lr = rows;
  bad_lr[3].mean_effective_lr = 0;
  CHECK_THROWS_WITH(primary_analysis(bad_lr, plan_for({"normalised trace"})), Catch::Contains("mean effective LR"));
}

TEST_CASE("rows outside the model and runs without a value stay out of the fit", "[primary]") {
  std::vector<AnalysisRow> rows = planted_rows(4, 0.3);
  rows[0].measures.erase("normalised trace");
  rows[1].measures["normalised trace"] = -1;
  AnalysisRow extra = rows[2];
  extra.arm = "onecycle_lstar_constmom";
  extra.in_model = false;
  extra.measures["normalised trace"] = 1e6;  // would move the fit a lot
  const double without = primary_analysis(rows, plan_for({"normalised trace"}, 50)).contrasts[0].log_effect;
  rows.push_back(extra);
  const PrimaryContrast c = primary_analysis(rows, plan_for({"normalised trace"}, 50)).contrasts[0];
  CHECK(c.log_effect == without);
  CHECK(c.runs == 68);
  CHECK(c.left_out == 2);
}

TEST_CASE("stratified tau differs from the pooled one under a between-arm confound", "[primary]") {
  // Within each arm the measure falls as accuracy rises; arms with a higher measure also have a
  // higher accuracy, so pooling the three arms reverses the sign (scipy: pooled tau = 0.379).
  std::vector<AnalysisRow> rows;
  std::vector<double> pooled_m, pooled_acc;
  const char* const names[] = {"low", "mid", "high"};
  for (int arm = 0; arm < 3; ++arm) {
    for (int s = 0; s < 10; ++s) {
      AnalysisRow row;
      row.arm = names[arm];
      row.seed = s;
      row.mean_effective_lr = 1;
      const double acc = 0.5 + 0.2 * arm + 0.01 * s;
      const double m = 10.0 + 100.0 * arm - 0.5 * s + 0.3 * ((s * 7) % 3);  // mostly falling within the arm
      row.measures["m"] = m;
      row.measures["test accuracy"] = acc;
      pooled_m.push_back(m);
      pooled_acc.push_back(acc);
      rows.push_back(row);
    }
  }
  const TestResult pooled = kendall_tau(pooled_m, pooled_acc);
  const StratifiedRelevance r = stratified_relevance(rows, "m", "test accuracy", 2000, 9);
  REQUIRE(r.arms.size() == 3);
  CHECK(pooled.statistic == Approx(0.37931).epsilon(1e-4));
  CHECK(r.stratified_tau == Approx(-1.0));
  // scipy.stats.kendalltau of one arm's values: -1.0 (the measure falls strictly within each arm).
  CHECK(r.within[0].statistic == Approx(-1.0));
  CHECK(r.within[1].statistic == Approx(-1.0));
  CHECK(r.permutation_p < 0.01);
  CHECK(r.permutation_p == Approx(1.0 / 2001));  // no permutation reaches |tau| = 1 in all three arms
  // A weak relation within arms (scipy: tau = 0.2 in each, p = 0.48): a large permutation p.
  std::vector<AnalysisRow> unrelated = rows;
  for (std::size_t i = 0; i < unrelated.size(); ++i) unrelated[i].measures["m"] = static_cast<double>((i * 7) % 10) + 1;
  const StratifiedRelevance weak = stratified_relevance(unrelated, "m", "test accuracy", 500, 9);
  CHECK(weak.stratified_tau == Approx(0.2));
  CHECK(weak.permutation_p > 0.1);
  CHECK(weak.arms == std::vector<std::string>{"low", "mid", "high"});
}

TEST_CASE("runs that did not train are listed and kept out of the fit and the relevance taus", "[primary]") {
  std::vector<AnalysisRow> rows = planted_rows(5, 0.3);
  const PrimaryAnalysis clean = primary_analysis(rows, plan_for({"normalised trace"}, 50));
  // A collapsed constant_0.4 run: tiny curvature and chance accuracy would pull both the fit and the taus.
  AnalysisRow collapsed = rows[3];
  collapsed.trained = false;
  collapsed.measures["normalised trace"] = 1e-4;
  collapsed.measures["test accuracy"] = 0.1;
  rows.push_back(collapsed);
  const PrimaryAnalysis with = primary_analysis(rows, plan_for({"normalised trace"}, 50));
  CHECK(with.contrasts[0].log_effect == clean.contrasts[0].log_effect);
  CHECK(with.contrasts[0].runs == clean.contrasts[0].runs);
  REQUIRE(with.not_trained.size() == 1);
  CHECK(with.not_trained[0].arm == "constant_0.4");
  REQUIRE(with.relevance.size() == clean.relevance.size());
  for (std::size_t i = 0; i < with.relevance.size(); ++i) {
    CHECK(with.relevance[i].stratified_tau == clean.relevance[i].stratified_tau);
  }
  CHECK_THAT(verdict_paragraph(with), Catch::Matchers::Contains("did not train") &&
                                          Catch::Matchers::Contains("(constant_0.4 1)"));
  CHECK(trained_rows(rows).size() == rows.size() - 1);
}
