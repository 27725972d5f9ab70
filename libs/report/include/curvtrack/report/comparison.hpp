#pragma once
// From loaded runs to the comparisons of docs/methods.md section 4: measures at a probe, runs paired
// by seed at equal steps (end, LR peak) and at equal training loss, the paired statistics on the
// primary (flatness) measures with Holm across them, descriptive paired tests on the covariates,
// and Kendall tau between flatness and test accuracy / generalisation gap.

#include <cstdint>
#include <string>
#include <vector>

#include "curvtrack/report/run_loader.hpp"
#include "curvtrack/report/statistics.hpp"

namespace curvtrack::report {

/// What one curvature record says; NaN for what it lacks.
struct ProbeMeasures {
  std::int64_t step = 0;          ///< optimizer step the probe was taken before
  std::string label;              ///< peak, end, "fraction 0.3", every, log, checkpoint
  double fraction = 0;            ///< step / total steps (NaN when total unknown)
  double lr = 0;                  ///< learning rate in force
  double momentum = 0;            ///< momentum in force
  double lambda_max = 0;          ///< top.values[0], largest Hessian eigenvalue
  double trace = 0;               ///< trace.value, Hessian trace estimate
  double adaptive_sharpness = 0;  ///< sharpness.adaptive.sharpness (loss units)
  double epsilon_sharpness = 0;   ///< sharpness.epsilon.percent (% of 1 + L)
  double train_loss = 0;          ///< train_probe.loss
  double train_accuracy = 0;      ///< train_probe.accuracy (fraction)
  double test_loss = 0;           ///< test_probe.loss, else metrics.csv test_loss at this step
  double test_accuracy = 0;       ///< test_probe.accuracy, else metrics.csv test_accuracy at this step
  double generalization_gap = 0;  ///< test_loss - train_loss
  double weight_norm = 0;         ///< weight_norm.global (L2 over all parameters)
  double gradient_norm = 0;       ///< gradient_norm on the probe set
  double stability_ratio = 0;     ///< stability.lr_times_lambda_max
  double stability_limit = 0;     ///< stability.limit (2(1+b) or the Nesterov form)
};

/// A measure the report compares: a key for files, a name for text, and where it lives.
struct MeasureInfo {
  const char* key;                 ///< column name in tables/*.csv, e.g. "lambda_max"
  const char* name;                ///< human name, e.g. "λmax"
  bool primary;                    ///< a flatness measure: log-ratio tests with Holm
  double ProbeMeasures::*field;    ///< the value
};

/// The flatness measures (λmax, trace, adaptive sharpness, ε-sharpness), then the covariates
/// (test accuracy, generalisation gap, weight norm), in report order.
const std::vector<MeasureInfo>& measure_catalog();

/// Measures of one record; `metrics` supplies test metrics for records without a test probe,
/// and for every record when `test_probe_is_train` (curvature.test_probe on a training split:
/// the record's test_probe is then a fit measure, never reported as test accuracy).
ProbeMeasures probe_measures(const runs::CurvatureRecord& record, std::int64_t total_steps,
                             const std::vector<runs::MetricsRow>& metrics = {}, bool test_probe_is_train = false);

/// Measured probes of a run in step order (records skipped for non-finite weights dropped).
std::vector<ProbeMeasures> probe_trajectory(const LoadedRun& run);

/// The end probe: the one labelled "end", else the last; null when there are none.
const ProbeMeasures* end_probe(const std::vector<ProbeMeasures>& probes);

/// True when a run can enter a paired comparison: completed, undamaged, with an end probe.
bool usable_for_comparison(const LoadedRun& run, std::string* why_not = nullptr);

/// One seed's pair of probes, a from the baseline arm and b from the other.
struct ProbePair {
  std::int64_t seed = 0;  ///< the shared seed
  ProbeMeasures a;        ///< baseline arm's probe
  ProbeMeasures b;        ///< compared arm's probe
  double target_loss = 0; ///< equal-loss alignment: the loss both reached (NaN otherwise)
};

/// Where a probe is taken for a given alignment.
enum class Alignment {
  kEnd,        ///< the probe labelled "end", else the last probe
  kPeak,       ///< both at the step of arm b's "peak" probe (arm a's when b has none)
  kEqualLoss,  ///< first probe with train_probe.loss <= the larger of the two end losses
};

/// The alignment's name in tables and file names: "end", "peak", "equal_loss".
const char* alignment_key(Alignment alignment);

/// Runs of two arms paired by seed at one alignment.
struct AlignedPairs {
  Alignment alignment = Alignment::kEnd;
  std::string title;                 ///< e.g. "at equal steps (end of training)"
  std::vector<ProbePair> pairs;      ///< ascending seed
  std::vector<std::string> excluded; ///< "seed 3: onecycle diverged", one line per dropped seed
  /// alignment_key(alignment).
  const char* key() const { return alignment_key(alignment); }
};

/// Pairs runs of arm a and arm b (same seed) at `alignment`; runs not usable_for_comparison,
/// pairs with unequal total steps and seeds present in one arm only are listed in `excluded`.
AlignedPairs align_pairs(const std::vector<LoadedRun>& runs, const std::string& arm_a, const std::string& arm_b,
                         Alignment alignment);

/// Difference-scale comparison of a covariate (test accuracy, gap, weight norm): b - a.
struct CovariateComparison {
  std::string measure;     ///< name
  std::int64_t n = 0;      ///< pairs with both values finite
  Summary a, b;            ///< per-arm summaries
  double mean_difference;  ///< mean(b - a)
  TestResult t;            ///< paired t-test of b - a
  TestResult wilcoxon;     ///< Wilcoxon signed-rank of b - a
};

/// Kendall tau between a flatness measure and a covariate across runs (or across pairs).
struct Relevance {
  std::string measure;  ///< flatness measure name
  std::string against;  ///< "test accuracy" or "generalisation gap"
  std::string over;     ///< "runs" (both arms pooled) or "pairs" (log ratio vs difference)
  TestResult tau;       ///< tau-b and its two-sided p
};

/// Every statistic of one alignment.
struct ComparisonTable {
  AlignedPairs aligned;                          ///< the pairs used
  std::vector<std::string> primary_keys;         ///< catalog keys of `primary`, same order
  std::vector<PairedComparison> primary;         ///< flatness measures: compared b against a, Holm across them
  std::vector<std::string> verdicts;             ///< report::verdict of each primary comparison (b vs a)
  std::vector<std::string> not_compared;         ///< "ε-sharpness: not measured" and the like
  std::vector<CovariateComparison> covariates;   ///< test accuracy, gap, weight norm
  std::vector<Relevance> relevance;              ///< Kendall taus
};

/// Statistics of `aligned`: arm b compared with baseline arm a (ratios b / a), measure names
/// suffixed with `suffix` (e.g. " at the end"). `seed` seeds the bootstrap.
ComparisonTable compare(const AlignedPairs& aligned, const std::string& arm_a, const std::string& arm_b,
                        const std::string& suffix, double alpha, std::int64_t minimum_n, std::uint64_t seed);

/// Arm b against baseline a at the end, the LR peak and equal loss, in that order; table i bootstraps with seed + i.
std::vector<ComparisonTable> compare_arms(const std::vector<LoadedRun>& runs, const std::string& arm_a,
                                          const std::string& arm_b, double alpha, std::int64_t minimum_n,
                                          std::uint64_t bootstrap_seed);

}  // namespace curvtrack::report
