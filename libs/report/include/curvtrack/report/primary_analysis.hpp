#pragma once
// The pre-registered primary analysis of a confound-controlled schedule study (docs/methods.md
// section 4.9): for each primary measure m, ordinary least squares of
//   log m ~ 1 + onecycle + log(mean effective LR) + weight decay + seed dummies
// (seeds as fixed effects). The schedule effect is exp(beta_onecycle), a ratio, with percentile
// CIs from resampling whole seeds, an OLS t-test p, Holm over the primary family, the minimum
// detectable effect at the planned power, and a four-way verdict against the smallest effect of
// interest. Relevance: Kendall tau of each measure with test accuracy within each arm and
// stratified over arms (never pooled). Torch-free; Eigen for the least squares.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "curvtrack/report/statistics.hpp"

namespace curvtrack::report {

/// One run as the primary analysis sees it.
struct AnalysisRow {
  std::string arm;                         ///< arm name
  std::int64_t seed = 0;                   ///< run seed (the resampling unit, a fixed effect)
  bool onecycle = false;                   ///< the arm is a 1cycle arm
  bool weight_decay = false;               ///< the arm uses weight decay
  bool in_model = true;                    ///< enters the primary model (false: figures and relevance only)
  bool trained = true;                     ///< false: the run did not train (listed, never analysed)
  double mean_effective_lr = 0.0;          ///< mean over the run of lr / (1 - momentum), > 0
  std::map<std::string, double> measures;  ///< end measures by name (test accuracy among them)
  std::map<std::string, double> audit;     ///< their error estimates and set sizes, written beside them, not analysed
};

/// The plan: what is fitted, tested and how.
struct AnalysisPlan {
  std::vector<std::string> primary;         ///< primary measures: the Holm family, in order
  double smallest_effect = 0.8;             ///< smallest ratio of interest; s and 1/s are equivalent
  double alpha = 0.05;                      ///< family-wise two-sided level
  double power = 0.8;                       ///< power of the minimum detectable effect
  int resamples = 10000;                    ///< seed-bootstrap resamples
  int permutations = 10000;                 ///< within-arm permutations of the stratified tau
  std::uint64_t seed = 0;                   ///< seeds every resampling (deterministic results)
  std::string accuracy = "test accuracy";   ///< measure the relevance taus are taken against
  /// Throws std::invalid_argument naming the bad field.
  void check() const;
};

/// An ordinary least-squares fit.
struct OlsFit {
  bool full_rank = false;        ///< false: the design is singular (nothing else is set)
  Eigen::VectorXd beta;          ///< coefficients, in the design's column order
  Eigen::VectorXd se;            ///< standard errors sqrt(diag(sigma^2 (X'X)^-1)); NaN when df = 0
  double sigma = 0.0;            ///< residual SD sqrt(RSS / df)
  std::int64_t residual_df = 0;  ///< rows - columns
};

/// OLS by column-pivoted Householder QR (rank-revealing, threshold 1e-10 relative).
OlsFit fit_ols(const Eigen::MatrixXd& design, const Eigen::VectorXd& response);

/// Which covariates the primary model has besides the intercept and onecycle.
struct DesignTerms {
  bool log_lr = true;        ///< log(mean effective LR)
  bool weight_decay = true;  ///< weight decay (0/1)
};

/// The design of the primary model for `rows` (in order): columns intercept, onecycle, then
/// log(mean effective LR) and weight decay as `terms` says, then one dummy per seed group
/// 1 .. seed_count-1 (fixed effects; group 0 is the reference). `seed_of[r]` is row r's group.
Eigen::MatrixXd primary_design(const std::vector<const AnalysisRow*>& rows, const std::vector<std::size_t>& seed_of,
                               std::size_t seed_count, const DesignTerms& terms);

/// Minimum detectable effect in log units at two-sided level `alpha` and `power`:
/// (t_{1-alpha/2, df} + t_{power, df}) * se (Student t quantiles with the residual df; df <= 0: NaN).
double minimum_detectable_log_effect(double se, std::int64_t df, double alpha, double power);

/// The verdict of a ratio CI against the smallest effect of interest s (< 1).
enum class Verdict {
  kLower,                ///< CI upper < 1
  kHigher,               ///< CI lower > 1
  kNoMeaningfulEffect,   ///< CI within [s, 1/s]
  kInconclusive,         ///< otherwise: covers both no effect and an effect of interest
};

/// Applies the rules in the order listed in Verdict. `smallest_effect` may be given as s or 1/s.
Verdict classify(const Interval& ratio_ci, double smallest_effect);

/// "1cycle lower", "1cycle higher", "no meaningful effect", "inconclusive".
std::string verdict_text(Verdict verdict);

/// The schedule effect on one primary measure.
struct PrimaryContrast {
  std::string measure;                ///< measure name
  std::int64_t runs = 0;              ///< rows in the fit
  std::int64_t seeds = 0;             ///< distinct seeds in the fit
  std::int64_t left_out = 0;          ///< model rows without a finite positive value of the measure
  std::vector<std::string> columns;   ///< the design's column names (seed dummies as "seed S")
  OlsFit fit;                         ///< the fit on all rows
  double log_effect = 0.0;            ///< beta_onecycle
  double ratio = 0.0;                 ///< exp(beta_onecycle)
  double p_value = 0.0;               ///< OLS t-test of beta_onecycle = 0, two-sided, residual df
  double p_holm = 0.0;                ///< Holm-adjusted over the primary family
  Interval ci;                        ///< 95% seed-bootstrap percentile interval of the ratio
  Interval ci_adjusted;               ///< (1 - alpha/m) interval: Holm's first step, the verdict's CI
  double adjusted_level = 0.95;       ///< 1 - alpha/m
  double mde_log = 0.0;               ///< minimum detectable |log effect| at alpha/m and the power
  Interval mde_ratio;                 ///< exp(-mde_log), exp(mde_log)
  std::int64_t singular_resamples = 0;  ///< resamples with a singular design, redrawn
  Verdict verdict = Verdict::kInconclusive;  ///< classify(ci_adjusted, smallest effect)
  bool excludes_smallest_below = false;  ///< ci_adjusted.low > s: the CI rules out "flatter by s or more"
};

/// Kendall tau of one measure with accuracy: within each arm and stratified over arms.
struct StratifiedRelevance {
  std::string measure;                     ///< measure name
  std::vector<std::string> arms;           ///< arms with a defined tau, in order
  std::vector<TestResult> within;          ///< tau per arm (kendall_tau)
  double stratified_tau = 0.0;             ///< mean of the defined within-arm taus (NaN when none)
  double permutation_p = 0.0;              ///< two-sided, accuracy permuted within arms: (1 + #|tau*| >= |tau|) / (1 + B)
  std::int64_t permutations = 0;           ///< B
};

/// Everything the primary analysis found.
struct PrimaryAnalysis {
  AnalysisPlan plan;                           ///< as run (smallest_effect normalised below 1)
  std::vector<PrimaryContrast> contrasts;      ///< one per primary measure, plan order
  std::vector<StratifiedRelevance> relevance;  ///< one per measure other than the accuracy, name order
  std::vector<AnalysisRow> not_trained;        ///< rows with trained = false: listed, left out of everything else
};

/// The rows with trained = true: the only ones the analysis and its figures use.
std::vector<AnalysisRow> trained_rows(const std::vector<AnalysisRow>& rows);

/// Runs the plan on the trained rows of `rows` (the others go to not_trained). Throws std::invalid_argument for a bad plan, a primary measure no
/// model row has, non-positive mean effective LR, a model without both schedules or a singular
/// design on all rows.
PrimaryAnalysis primary_analysis(const std::vector<AnalysisRow>& rows, const AnalysisPlan& plan);

/// Stratified relevance of `measure` against `accuracy` over `rows` grouped by arm.
StratifiedRelevance stratified_relevance(const std::vector<AnalysisRow>& rows, const std::string& measure,
                                         const std::string& accuracy, int permutations, std::uint64_t seed);

/// One paragraph: per primary measure the ratio, both CIs, Holm p, MDE and verdict.
std::string verdict_paragraph(const PrimaryAnalysis& analysis);

}  // namespace curvtrack::report
