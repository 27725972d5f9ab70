#include "curvtrack/report/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

#include <boost/math/distributions/students_t.hpp>

#include "resampling.hpp"

namespace curvtrack::report {
namespace {

using resampling::sorted_quantile;
using resampling::splitmix64;
using resampling::uniform_below;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Largest n with an exact null distribution (scipy uses 50 for Wilcoxon in 'auto'; the study
// asked for 25, where the normal approximation is already good) and Kendall's scipy limit.
constexpr std::int64_t kWilcoxonExactMaxN = 25;
constexpr std::int64_t kKendallExactMaxN = 33;

void require_finite(const std::vector<double>& values, const char* function, const char* what) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw std::invalid_argument(std::string(function) + ": " + what + "[" + std::to_string(i) +
                                  "] is not finite");
    }
  }
}

void require_paired_positive(const std::vector<double>& a, const std::vector<double>& b,
                             const char* function) {
  if (a.size() != b.size()) {
    throw std::invalid_argument(std::string(function) + ": a has " + std::to_string(a.size()) +
                                " values but b has " + std::to_string(b.size()));
  }
  if (a.empty()) throw std::invalid_argument(std::string(function) + ": no pairs");
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] > 0.0) || !(b[i] > 0.0) || !std::isfinite(a[i]) || !std::isfinite(b[i])) {
      throw std::invalid_argument(std::string(function) + ": pair " + std::to_string(i) +
                                  " is not finite and positive");
    }
  }
}

std::vector<double> log_differences(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = std::log(a[i]) - std::log(b[i]);
  return d;
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Two-sided normal p-value 2 * P(Z > |z|).
double normal_two_sided(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

// Average ranks (1-based) of `values`, like scipy.stats.rankdata; `tie_sizes` gets the size of
// every group of equal values with more than one member.
std::vector<double> average_ranks(const std::vector<double>& values,
                                  std::vector<std::int64_t>* tie_sizes) {
  const std::size_t n = values.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return values[i] < values[j]; });
  std::vector<double> ranks(n);
  for (std::size_t start = 0; start < n;) {
    std::size_t end = start + 1;
    while (end < n && values[order[end]] == values[order[start]]) ++end;
    const double rank = 0.5 * static_cast<double>(start + 1 + end);  // mean of start+1 .. end
    for (std::size_t k = start; k < end; ++k) ranks[order[k]] = rank;
    if (end - start > 1 && tie_sizes) tie_sizes->push_back(static_cast<std::int64_t>(end - start));
    start = end;
  }
  return ranks;
}

// Null distribution of W+ for n untied non-zero differences: P(W+ = w), w = 0 .. n(n+1)/2,
// built by adding rank k with sign + or - (probability 1/2 each).
std::vector<double> wilcoxon_null_pmf(std::int64_t n) {
  std::vector<double> pmf{1.0};
  for (std::int64_t k = 1; k <= n; ++k) {
    std::vector<double> next(static_cast<std::size_t>(k * (k + 1) / 2 + 1), 0.0);
    for (std::size_t w = 0; w < pmf.size(); ++w) {
      next[w] += 0.5 * pmf[w];
      next[w + static_cast<std::size_t>(k)] += 0.5 * pmf[w];
    }
    pmf.swap(next);
  }
  return pmf;
}

// P(K <= c) for K the number of inversions of a uniformly random permutation of n items
// (Kendall's exact null): each new item j adds 0 .. j-1 inversions with probability 1/j.
double inversions_cdf(std::int64_t n, std::int64_t c) {
  std::vector<double> p(static_cast<std::size_t>(c + 1), 0.0);
  p[0] = 1.0;
  std::vector<double> prefix(p.size() + 1);
  for (std::int64_t j = 2; j <= n; ++j) {
    prefix[0] = 0.0;
    for (std::size_t k = 0; k < p.size(); ++k) prefix[k + 1] = prefix[k] + p[k];
    for (std::int64_t k = 0; k <= c; ++k) {
      const std::int64_t lo = std::max<std::int64_t>(0, k - (j - 1));
      p[static_cast<std::size_t>(k)] =
          (prefix[static_cast<std::size_t>(k + 1)] - prefix[static_cast<std::size_t>(lo)]) /
          static_cast<double>(j);
    }
  }
  return std::accumulate(p.begin(), p.end(), 0.0);
}

std::string format_p(double p) {
  if (std::isnan(p)) return " = n/a";
  if (p < 1e-4) return " < 0.0001";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, " = %.2g", p);
  return buffer;
}

std::string format_ratio(double r) {
  char buffer[32];
  if (r >= 0.1 && r < 100.0) {
    std::snprintf(buffer, sizeof buffer, "%.2f", r);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.3g", r);
  }
  return buffer;
}

}  // namespace

TestResult paired_t_test(const std::vector<double>& differences) {
  require_finite(differences, "paired_t_test", "differences");
  const auto n = static_cast<std::int64_t>(differences.size());
  if (n < 2) return {kNaN, kNaN, n, "paired t-test: undefined for n < 2"};
  const double mean = mean_of(differences);
  double ss = 0.0;
  for (double d : differences) ss += (d - mean) * (d - mean);
  const double sd = std::sqrt(ss / static_cast<double>(n - 1));
  const std::string method = "paired t-test, Student t with " + std::to_string(n - 1) + " df";
  if (sd == 0.0) {
    if (mean == 0.0) return {kNaN, kNaN, n, method + ": undefined, all differences are zero"};
    return {std::copysign(std::numeric_limits<double>::infinity(), mean), 0.0, n, method};
  }
  const double t = mean / (sd / std::sqrt(static_cast<double>(n)));
  const boost::math::students_t distribution(static_cast<double>(n - 1));
  const double p = 2.0 * boost::math::cdf(boost::math::complement(distribution, std::fabs(t)));
  return {t, std::min(p, 1.0), n, method};
}

TestResult wilcoxon_signed_rank(const std::vector<double>& differences, PMethod method) {
  require_finite(differences, "wilcoxon_signed_rank", "differences");
  std::vector<double> d;
  for (double x : differences) {
    if (x != 0.0) d.push_back(x);
  }
  const auto zeros = static_cast<std::int64_t>(differences.size() - d.size());
  const auto n = static_cast<std::int64_t>(d.size());
  const std::string dropped =
      zeros > 0 ? " (" + std::to_string(zeros) + " zero difference" + (zeros > 1 ? "s" : "") +
                      " dropped)"
                : "";
  if (n == 0) return {kNaN, kNaN, 0, "Wilcoxon signed-rank: undefined, no non-zero differences"};

  std::vector<double> magnitudes(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) magnitudes[i] = std::fabs(d[i]);
  std::vector<std::int64_t> tie_sizes;
  const std::vector<double> ranks = average_ranks(magnitudes, &tie_sizes);
  double w_plus = 0.0;
  double w_minus = 0.0;
  for (std::size_t i = 0; i < d.size(); ++i) (d[i] > 0.0 ? w_plus : w_minus) += ranks[i];
  const double statistic = std::min(w_plus, w_minus);

  const bool exact_possible = zeros == 0 && tie_sizes.empty();
  if (method == PMethod::kExact && !exact_possible) {
    throw std::invalid_argument(
        "wilcoxon_signed_rank: the exact distribution needs differences without zeros or ties");
  }
  if (method == PMethod::kExact || (method == PMethod::kAuto && exact_possible &&
                                    n <= kWilcoxonExactMaxN)) {
    const std::vector<double> pmf = wilcoxon_null_pmf(n);
    const auto r = static_cast<std::size_t>(std::llround(w_plus));
    double p = 1.0;
    if (r != (pmf.size() - 1) / 2) {
      const double p_less = std::accumulate(pmf.begin(), pmf.begin() + r + 1, 0.0);
      const double p_greater = std::accumulate(pmf.begin() + r, pmf.end(), 0.0);
      p = std::min(1.0, 2.0 * std::min(p_less, p_greater));
    }
    return {statistic, p, n, "Wilcoxon signed-rank, exact"};
  }

  const double nd = static_cast<double>(n);
  const double mean = nd * (nd + 1.0) * 0.25;
  double variance_24 = nd * (nd + 1.0) * (2.0 * nd + 1.0);
  for (std::int64_t t : tie_sizes) {
    const double td = static_cast<double>(t);
    variance_24 -= 0.5 * td * (td * td - 1.0);
  }
  const double se = std::sqrt(variance_24 / 24.0);
  const double continuity = statistic > mean ? 0.5 : (statistic < mean ? -0.5 : 0.0);
  const double z = (statistic - mean - continuity) / se;
  return {statistic, normal_two_sided(z), n,
          "Wilcoxon signed-rank, normal approximation with tie and continuity correction" +
              dropped};
}

double ratio_of_geometric_means(const std::vector<double>& a, const std::vector<double>& b) {
  require_paired_positive(a, b, "ratio_of_geometric_means");
  return std::exp(mean_of(log_differences(a, b)));
}

Interval bootstrap_ratio_of_geometric_means_ci(const std::vector<double>& a,
                                               const std::vector<double>& b, double level,
                                               int resamples, std::uint64_t seed) {
  require_paired_positive(a, b, "bootstrap_ratio_of_geometric_means_ci");
  if (!(level > 0.0 && level < 1.0)) {
    throw std::invalid_argument("bootstrap_ratio_of_geometric_means_ci: level must be in (0, 1)");
  }
  if (resamples < 1) {
    throw std::invalid_argument("bootstrap_ratio_of_geometric_means_ci: resamples must be >= 1");
  }
  const std::vector<double> d = log_differences(a, b);
  const std::uint64_t n = d.size();
  std::mt19937_64 engine(seed);
  std::vector<double> means(static_cast<std::size_t>(resamples));
  for (double& m : means) {
    double sum = 0.0;
    for (std::uint64_t k = 0; k < n; ++k) sum += d[uniform_below(engine, n)];
    m = sum / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  const double tail = 0.5 * (1.0 - level);
  // Quantiles of the mean log difference, then exp: the interval is the same on either scale
  // up to the interpolation between neighbouring resamples, which is geometric this way.
  return {std::exp(sorted_quantile(means, tail)), std::exp(sorted_quantile(means, 1.0 - tail))};
}

std::vector<double> holm_adjust(const std::vector<double>& p_values) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < p_values.size(); ++i) {
    const double p = p_values[i];
    if (std::isnan(p)) continue;
    if (p < 0.0 || p > 1.0) {
      throw std::invalid_argument("holm_adjust: p_values[" + std::to_string(i) +
                                  "] is outside [0, 1]");
    }
    order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t i, std::size_t j) { return p_values[i] < p_values[j]; });
  std::vector<double> adjusted(p_values);  // NaN entries stay as they are
  const double m = static_cast<double>(order.size());
  double running = 0.0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    running = std::max(running, (m - static_cast<double>(k)) * p_values[order[k]]);
    adjusted[order[k]] = std::min(1.0, running);
  }
  return adjusted;
}

TestResult kendall_tau(const std::vector<double>& x, const std::vector<double>& y,
                       PMethod method) {
  require_finite(x, "kendall_tau", "x");
  require_finite(y, "kendall_tau", "y");
  if (x.size() != y.size()) {
    throw std::invalid_argument("kendall_tau: x has " + std::to_string(x.size()) +
                                " values but y has " + std::to_string(y.size()));
  }
  const auto n = static_cast<std::int64_t>(x.size());
  if (n < 2) return {kNaN, kNaN, n, "Kendall tau-b: undefined for n < 2"};

  // Pair counts by direct O(n^2) comparison: the study has tens of runs, not thousands.
  std::int64_t concordant = 0, discordant = 0, x_ties = 0, y_ties = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = i + 1; j < n; ++j) {
      const double dx = x[static_cast<std::size_t>(i)] - x[static_cast<std::size_t>(j)];
      const double dy = y[static_cast<std::size_t>(i)] - y[static_cast<std::size_t>(j)];
      if (dx == 0.0) ++x_ties;
      if (dy == 0.0) ++y_ties;
      if (dx == 0.0 || dy == 0.0) continue;
      ((dx > 0.0) == (dy > 0.0) ? concordant : discordant) += 1;
    }
  }
  const std::int64_t total = n * (n - 1) / 2;
  if (x_ties == total || y_ties == total) {
    return {kNaN, kNaN, n, "Kendall tau-b: undefined, a variable is constant"};
  }
  const double s = static_cast<double>(concordant - discordant);
  const double tau = std::clamp(
      s / std::sqrt(static_cast<double>(total - x_ties)) /
          std::sqrt(static_cast<double>(total - y_ties)),
      -1.0, 1.0);

  const bool ties = x_ties > 0 || y_ties > 0;
  if (method == PMethod::kExact && ties) {
    throw std::invalid_argument("kendall_tau: the exact distribution needs data without ties");
  }
  const std::int64_t c_min = std::min(concordant, total - concordant);
  if (method == PMethod::kExact ||
      (method == PMethod::kAuto && !ties && (n <= kKendallExactMaxN || c_min <= 1))) {
    double p = 1.0;
    if (4 * concordant != n * (n - 1)) p = std::min(1.0, 2.0 * inversions_cdf(n, c_min));
    return {tau, p, n, "Kendall tau-b, exact"};
  }

  // Tie-group statistics: sum t(t-1)(t-2) and sum t(t-1)(2t+5) over groups of equal values.
  auto group_sums = [](std::vector<double> v, double* t0, double* t1) {
    std::sort(v.begin(), v.end());
    *t0 = 0.0;
    *t1 = 0.0;
    for (std::size_t start = 0; start < v.size();) {
      std::size_t end = start + 1;
      while (end < v.size() && v[end] == v[start]) ++end;
      const double t = static_cast<double>(end - start);
      *t0 += t * (t - 1.0) * (t - 2.0);
      *t1 += t * (t - 1.0) * (2.0 * t + 5.0);
      start = end;
    }
  };
  double x0, x1, y0, y1;
  group_sums(x, &x0, &x1);
  group_sums(y, &y0, &y1);
  const double nd = static_cast<double>(n);
  const double m = nd * (nd - 1.0);
  const double xt = static_cast<double>(x_ties);
  const double yt = static_cast<double>(y_ties);
  double variance = (m * (2.0 * nd + 5.0) - x1 - y1) / 18.0 + 2.0 * xt * yt / m;
  if (x0 * y0 != 0.0) variance += x0 * y0 / (9.0 * m * (nd - 2.0));  // needs n >= 3 anyway
  const double z = s / std::sqrt(variance);
  return {tau, normal_two_sided(z), n,
          std::string("Kendall tau-b, normal approximation") +
              (ties ? " with tie-corrected variance" : "")};
}

Summary summarize(const std::vector<double>& values) {
  require_finite(values, "summarize", "values");
  const auto n = static_cast<std::int64_t>(values.size());
  if (n == 0) return {0, kNaN, kNaN, kNaN, kNaN, kNaN};
  std::vector<double> sorted(values);
  std::sort(sorted.begin(), sorted.end());
  const double mean = mean_of(values);
  double sd = kNaN;
  if (n > 1) {
    double ss = 0.0;
    for (double v : values) ss += (v - mean) * (v - mean);
    sd = std::sqrt(ss / static_cast<double>(n - 1));
  }
  const std::size_t half = sorted.size() / 2;
  const double median = sorted.size() % 2 ? sorted[half] : 0.5 * (sorted[half - 1] + sorted[half]);
  return {n, mean, sd, median, sorted.front(), sorted.back()};
}

std::vector<PairedComparison> compare_paired(const std::vector<std::string>& measures,
                                             const std::vector<std::vector<double>>& a,
                                             const std::vector<std::vector<double>>& b,
                                             std::uint64_t seed) {
  if (a.size() != measures.size() || b.size() != measures.size()) {
    throw std::invalid_argument("compare_paired: " + std::to_string(measures.size()) +
                                " measures but " + std::to_string(a.size()) + " and " +
                                std::to_string(b.size()) + " value lists");
  }
  std::vector<PairedComparison> out;
  std::vector<double> t_p;
  for (std::size_t i = 0; i < measures.size(); ++i) {
    try {
      require_paired_positive(a[i], b[i], "compare_paired");
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(e.what()) + " (measure \"" + measures[i] + "\")");
    }
    const std::vector<double> d = log_differences(a[i], b[i]);
    PairedComparison c{measures[i],
                       static_cast<std::int64_t>(d.size()),
                       summarize(a[i]),
                       summarize(b[i]),
                       mean_of(d),
                       paired_t_test(d),
                       wilcoxon_signed_rank(d),
                       0.0,
                       {},
                       kNaN};
    c.ratio = std::exp(c.mean_log_difference);
    c.ratio_ci = bootstrap_ratio_of_geometric_means_ci(a[i], b[i], kRatioCiLevel,
                                                       kRatioCiResamples,
                                                       splitmix64(seed + splitmix64(i)));
    t_p.push_back(c.t.p_value);
    out.push_back(std::move(c));
  }
  const std::vector<double> holm = holm_adjust(t_p);
  for (std::size_t i = 0; i < out.size(); ++i) out[i].p_holm = holm[i];
  return out;
}

std::string verdict(const PairedComparison& c, const std::string& name_a,
                    const std::string& name_b, double alpha, std::int64_t minimum_n) {
  char level[16];
  std::snprintf(level, sizeof level, "%g%%", 100.0 * kRatioCiLevel);
  const std::string numbers = "ratio of geometric means " + format_ratio(c.ratio) + ", " + level +
                              " CI " + format_ratio(c.ratio_ci.low) + "-" +
                              format_ratio(c.ratio_ci.high) + ", paired t p" +
                              format_p(c.t.p_value) + ", Holm p" + format_p(c.p_holm) +
                              ", Wilcoxon p" + format_p(c.wilcoxon.p_value) +
                              ", n = " + std::to_string(c.n);
  if (c.n < minimum_n) {
    return c.measure + ": not enough seeds for a claim (n = " + std::to_string(c.n) + " < " +
           std::to_string(minimum_n) + "); " + name_a + " vs " + name_b + ": " + numbers;
  }
  if (!(c.p_holm < alpha)) {
    return c.measure + ": no significant difference between " + name_a + " and " + name_b +
           " (" + numbers + ")";
  }
  const std::string direction = c.ratio < 1.0 ? " is flatter than " : " is sharper than ";
  std::string sentence = c.measure + ": " + name_a + direction + name_b + " (" + numbers + ")";
  if (!(c.wilcoxon.p_value < alpha)) {
    char text[64];
    std::snprintf(text, sizeof text, "; the Wilcoxon check is not significant at %g", alpha);
    sentence += text;
  }
  return sentence;
}

}  // namespace curvtrack::report
