#pragma once
// Statistics of the flat-minimum study (docs/methods.md section 4): paired tests on within-seed log
// differences, a bootstrap CI of the ratio of geometric means, Holm across the primary measures,
// Kendall tau for relevance, and the one-sentence verdict. Pure functions of std::vector<double>.
//
// Conventions matched (scipy 1.10, checked by tests/report/fixtures/make_stats_fixtures.py):
// - paired_t_test(d)        == scipy.stats.ttest_1samp(d, 0)  (two-sided)
// - wilcoxon_signed_rank(d) == scipy.stats.wilcoxon(d, zero_method='wilcox', correction=True,
//                              method='exact' | 'approx') with the mode chosen below
// - kendall_tau(x, y)       == scipy.stats.kendalltau(x, y, variant='b', method='auto')
// Every input value must be finite (std::invalid_argument otherwise); the caller decides what
// to do with diverged runs before asking for statistics.

#include <cstdint>
#include <string>
#include <vector>

namespace curvtrack::report {

/// Outcome of a test: a numerical outcome, never an exception (p is NaN when undefined).
struct TestResult {
  double statistic;    ///< t, W = min(W+, W-), or tau-b
  double p_value;      ///< two-sided; NaN when the test is undefined (method says why)
  std::int64_t n;      ///< observations the test used (Wilcoxon: non-zero differences)
  std::string method;  ///< how p was obtained, e.g. "Wilcoxon signed-rank, exact"
};

/// How a rank test gets its p-value: kAuto picks exact where it is available.
enum class PMethod { kAuto, kExact, kApprox };

/// Two-sided one-sample t-test of mean(differences) = 0, Student t with n - 1 df
/// (= paired t-test when differences = a - b). n < 2 or all-zero differences: p NaN.
TestResult paired_t_test(const std::vector<double>& differences);

/// Two-sided Wilcoxon signed-rank test of differences symmetric about 0. Zeros are dropped
/// (scipy zero_method='wilcox'). kAuto: the exact null distribution of W+ when no zeros, no tied
/// |d| and n <= 25, else the normal approximation with tie correction and continuity
/// correction. kExact with zeros or ties throws std::invalid_argument. statistic = min(W+, W-).
/// With 5 pairs the smallest two-sided exact p is 2/32 = 0.0625.
TestResult wilcoxon_signed_rank(const std::vector<double>& differences,
                                PMethod method = PMethod::kAuto);

/// A closed interval [low, high].
struct Interval {
  double low;   ///< lower end
  double high;  ///< upper end
};

/// exp(mean(log a - log b)) = geometric mean of a / geometric mean of b (paired, a, b > 0).
double ratio_of_geometric_means(const std::vector<double>& a, const std::vector<double>& b);

/// Percentile bootstrap interval of ratio_of_geometric_means: `resamples` resamples of the pair
/// indices with replacement (std::mt19937_64 seeded with `seed`, so deterministic everywhere);
/// the level/2 quantiles (linear interpolation, numpy's default) are taken of the resampled
/// mean log differences and exponentiated. Requires equal non-empty sizes, a, b > 0,
/// 0 < level < 1, resamples >= 1 (std::invalid_argument otherwise).
Interval bootstrap_ratio_of_geometric_means_ci(const std::vector<double>& a,
                                               const std::vector<double>& b, double level,
                                               int resamples, std::uint64_t seed);

/// Holm-Bonferroni step-down adjusted p-values, in the input order: monotone in the sorted
/// order, capped at 1. NaN entries pass through and do not count in the family size.
/// p outside [0, 1] throws std::invalid_argument.
std::vector<double> holm_adjust(const std::vector<double>& p_values);

/// Kendall tau-b (ties allowed) with a two-sided p. kAuto: exact null distribution when there are
/// no ties and n <= 33 (or the observed count is within 1 of the extremes), else the normal
/// approximation with the tie-corrected variance. Fewer than 2 points or a constant
/// variable: statistic and p NaN. kExact with ties throws std::invalid_argument.
TestResult kendall_tau(const std::vector<double>& x, const std::vector<double>& y,
                       PMethod method = PMethod::kAuto);

/// Descriptive summary; n = 0 gives NaN everywhere, n = 1 gives sd NaN.
struct Summary {
  std::int64_t n;  ///< number of values
  double mean;     ///< arithmetic mean
  double sd;       ///< sample standard deviation (n - 1 denominator)
  double median;   ///< middle value, mean of the two middle ones for even n
  double min;      ///< smallest value
  double max;      ///< largest value
};

/// Summary of the values (units of the input).
Summary summarize(const std::vector<double>& values);

/// Confidence level of the bootstrap interval in compare_paired.
inline constexpr double kRatioCiLevel = 0.95;
/// Bootstrap resamples in compare_paired.
inline constexpr int kRatioCiResamples = 10000;

/// One measure (e.g. "λmax at the end") compared between two arms paired by seed.
struct PairedComparison {
  std::string measure;         ///< name of the measure, as it appears in the verdict
  std::int64_t n;              ///< number of pairs (seeds)
  Summary a, b;                ///< summaries of the raw values of each arm
  double mean_log_difference;  ///< mean(log a - log b)
  TestResult t;                ///< paired t-test on log a - log b
  TestResult wilcoxon;         ///< Wilcoxon signed-rank on log a - log b (the check)
  double ratio;                ///< geometric mean of a / geometric mean of b
  Interval ratio_ci;           ///< kRatioCiLevel bootstrap CI of ratio
  double p_holm;               ///< t-test p, Holm-adjusted across the measures
};

/// Compares arm a with arm b on each measure: a[i][k], b[i][k] = measure i of seed k (> 0).
/// Holm runs across all the measures given (the primary ones). The bootstrap of measure i is
/// seeded from (seed, i). Mismatched sizes or non-positive values: std::invalid_argument.
std::vector<PairedComparison> compare_paired(const std::vector<std::string>& measures,
                                             const std::vector<std::vector<double>>& a,
                                             const std::vector<std::vector<double>>& b,
                                             std::uint64_t seed);

/// One sentence with the numbers: "<measure>: <a> is flatter|sharper than <b> (ratio of
/// geometric means ..., 95% CI ..., paired t p = ..., Holm p = ..., Wilcoxon p = ..., n = ...)"
/// when Holm p < alpha; "no significant difference between <a> and <b>" otherwise; and
/// "not enough seeds for a claim (n = 5 < 8)" when n < minimum_n (numbers still given).
/// Smaller measures (curvature) read as flatter.
std::string verdict(const PairedComparison& comparison, const std::string& name_a,
                    const std::string& name_b, double alpha = 0.05,
                    std::int64_t minimum_n = 8);

}  // namespace curvtrack::report
