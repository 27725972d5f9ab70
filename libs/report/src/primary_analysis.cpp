#include "curvtrack/report/primary_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <stdexcept>

#include <boost/math/distributions/students_t.hpp>

#include "curvtrack/core/text.hpp"
#include "format.hpp"
#include "resampling.hpp"

namespace curvtrack::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kCiLevel = 0.95;
// A resample with a singular design is redrawn; this many redraws per requested resample and the
// data cannot carry the model (e.g. most seeds lack a 1cycle run).
constexpr std::int64_t kMaxRedrawsPerResample = 100;

double student_quantile(double p, std::int64_t df) {
  if (df <= 0) return kNaN;
  return boost::math::quantile(boost::math::students_t(static_cast<double>(df)), p);
}

bool usable(const AnalysisRow& row, const std::string& measure) {
  auto it = row.measures.find(measure);
  return it != row.measures.end() && std::isfinite(it->second) && it->second > 0.0;
}

// The model rows with a usable value of `measure`, their seed groups and the distinct seeds.
struct MeasureData {
  std::vector<const AnalysisRow*> rows;
  std::vector<std::size_t> seed_of;
  std::vector<std::int64_t> seeds;                       // distinct, ascending
  std::vector<std::vector<std::size_t>> rows_of_seed;    // row indices per distinct seed
  std::int64_t left_out = 0;
};

MeasureData measure_data(const std::vector<AnalysisRow>& rows, const std::string& measure) {
  MeasureData data;
  std::set<std::int64_t> seeds;
  for (const AnalysisRow& row : rows) {
    if (!row.in_model) continue;
    if (!usable(row, measure)) {
      ++data.left_out;
      continue;
    }
    data.rows.push_back(&row);
    seeds.insert(row.seed);
  }
  data.seeds.assign(seeds.begin(), seeds.end());
  data.rows_of_seed.resize(data.seeds.size());
  for (std::size_t r = 0; r < data.rows.size(); ++r) {
    auto group = static_cast<std::size_t>(
        std::lower_bound(data.seeds.begin(), data.seeds.end(), data.rows[r]->seed) - data.seeds.begin());
    data.seed_of.push_back(group);
    data.rows_of_seed[group].push_back(r);
  }
  return data;
}

Eigen::VectorXd log_response(const std::vector<const AnalysisRow*>& rows, const std::string& measure) {
  Eigen::VectorXd y(static_cast<Eigen::Index>(rows.size()));
  for (std::size_t r = 0; r < rows.size(); ++r) y(static_cast<Eigen::Index>(r)) = std::log(rows[r]->measures.at(measure));
  return y;
}

template <typename Get>
bool varies(const std::vector<const AnalysisRow*>& rows, Get get) {
  for (const AnalysisRow* row : rows) {
    if (get(*row) != get(*rows.front())) return true;
  }
  return false;
}

std::vector<std::string> column_names(const DesignTerms& terms, const std::vector<std::int64_t>& seeds) {
  std::vector<std::string> names = {"intercept", "onecycle"};
  if (terms.log_lr) names.push_back("log(mean effective LR)");
  if (terms.weight_decay) names.push_back("weight decay");
  for (std::size_t s = 1; s < seeds.size(); ++s) names.push_back("seed " + std::to_string(seeds[s]));
  return names;
}

// Percentile interval (numpy linear quantiles) of sorted log effects, exponentiated.
Interval percentile_ratio(const std::vector<double>& sorted_logs, double level) {
  const double tail = 0.5 * (1.0 - level);
  return {std::exp(resampling::sorted_quantile(sorted_logs, tail)),
          std::exp(resampling::sorted_quantile(sorted_logs, 1.0 - tail))};
}

// beta_onecycle of `resamples` seed-bootstrap resamples (sorted) and the number of singular redraws.
std::vector<double> bootstrap_log_effects(const MeasureData& data, const Eigen::VectorXd& y, const DesignTerms& terms,
                                          int resamples, std::uint64_t seed, std::int64_t* singular) {
  std::mt19937_64 engine(seed);
  const std::size_t k = data.seeds.size();
  std::vector<double> effects;
  effects.reserve(static_cast<std::size_t>(resamples));
  *singular = 0;
  while (effects.size() < static_cast<std::size_t>(resamples)) {
    std::vector<const AnalysisRow*> rows;
    std::vector<std::size_t> seed_of;
    std::vector<double> response;
    for (std::size_t draw = 0; draw < k; ++draw) {
      // Each draw is its own fixed-effect group, so a seed drawn twice enters as two clusters.
      const auto s = static_cast<std::size_t>(resampling::uniform_below(engine, k));
      for (std::size_t r : data.rows_of_seed[s]) {
        rows.push_back(data.rows[r]);
        seed_of.push_back(draw);
        response.push_back(y(static_cast<Eigen::Index>(r)));
      }
    }
    const OlsFit fit = fit_ols(primary_design(rows, seed_of, k, terms),
                               Eigen::Map<const Eigen::VectorXd>(response.data(), static_cast<Eigen::Index>(response.size())));
    if (!fit.full_rank) {
      if (++*singular > kMaxRedrawsPerResample * resamples) {
        throw std::invalid_argument("primary_analysis: the seed bootstrap keeps drawing singular designs (" +
                                    std::to_string(*singular) + " redraws); too few seeds carry both schedules");
      }
      continue;
    }
    effects.push_back(fit.beta(1));
  }
  std::sort(effects.begin(), effects.end());
  return effects;
}

PrimaryContrast analyse_measure(const std::vector<AnalysisRow>& rows, const std::string& measure,
                                const AnalysisPlan& plan, std::size_t index) {
  const MeasureData data = measure_data(rows, measure);
  if (data.rows.empty()) throw std::invalid_argument("primary_analysis: no model run has a positive value of '" + measure + "'");
  if (!varies(data.rows, [](const AnalysisRow& r) { return r.onecycle; })) {
    throw std::invalid_argument("primary_analysis: '" + measure + "': the model runs are not of both schedules");
  }
  DesignTerms terms;
  terms.log_lr = varies(data.rows, [](const AnalysisRow& r) { return r.mean_effective_lr; });
  terms.weight_decay = varies(data.rows, [](const AnalysisRow& r) { return r.weight_decay; });

  PrimaryContrast c;
  c.measure = measure;
  c.runs = static_cast<std::int64_t>(data.rows.size());
  c.seeds = static_cast<std::int64_t>(data.seeds.size());
  c.left_out = data.left_out;
  c.columns = column_names(terms, data.seeds);
  const Eigen::VectorXd y = log_response(data.rows, measure);
  c.fit = fit_ols(primary_design(data.rows, data.seed_of, data.seeds.size(), terms), y);
  if (!c.fit.full_rank) {
    throw std::invalid_argument("primary_analysis: '" + measure + "': the design is singular (onecycle, log LR, weight "
                                "decay and seeds are not separable with these runs)");
  }
  c.log_effect = c.fit.beta(1);
  c.ratio = std::exp(c.log_effect);
  const double se = c.fit.se(1);
  c.p_value = kNaN;
  if (c.fit.residual_df > 0 && se > 0) {
    const boost::math::students_t t(static_cast<double>(c.fit.residual_df));
    c.p_value = std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(t, std::fabs(c.log_effect / se))));
  }
  const double family = static_cast<double>(plan.primary.size());
  c.adjusted_level = 1.0 - plan.alpha / family;
  c.mde_log = minimum_detectable_log_effect(se, c.fit.residual_df, plan.alpha / family, plan.power);
  c.mde_ratio = {std::exp(-c.mde_log), std::exp(c.mde_log)};
  const std::vector<double> effects = bootstrap_log_effects(
      data, y, terms, plan.resamples, resampling::splitmix64(plan.seed + resampling::splitmix64(index)),
      &c.singular_resamples);
  c.ci = percentile_ratio(effects, kCiLevel);
  c.ci_adjusted = percentile_ratio(effects, c.adjusted_level);
  c.verdict = classify(c.ci_adjusted, plan.smallest_effect);
  c.excludes_smallest_below = c.ci_adjusted.low > plan.smallest_effect;
  return c;
}

std::vector<std::string> arms_in_order(const std::vector<AnalysisRow>& rows) {
  std::vector<std::string> arms;
  for (const AnalysisRow& row : rows) {
    if (std::find(arms.begin(), arms.end(), row.arm) == arms.end()) arms.push_back(row.arm);
  }
  return arms;
}

double mean_of_defined(const std::vector<double>& values) {
  double sum = 0.0;
  int n = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++n;
  }
  return n == 0 ? kNaN : sum / n;
}

}  // namespace

void AnalysisPlan::check() const {
  if (primary.empty()) throw std::invalid_argument("analysis plan: no primary measure");
  for (std::size_t i = 0; i < primary.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (primary[i] == primary[j]) throw std::invalid_argument("analysis plan: primary measure '" + primary[i] + "' is given twice");
    }
  }
  if (!(smallest_effect > 0.0) || !std::isfinite(smallest_effect) || smallest_effect == 1.0) {
    throw std::invalid_argument("analysis plan: smallest effect must be a positive ratio other than 1, got " + fmt(smallest_effect));
  }
  if (!(alpha > 0.0 && alpha < 1.0)) throw std::invalid_argument("analysis plan: alpha must be in (0, 1), got " + fmt(alpha));
  if (!(power > 0.0 && power < 1.0)) throw std::invalid_argument("analysis plan: power must be in (0, 1), got " + fmt(power));
  if (resamples < 1) throw std::invalid_argument("analysis plan: resamples must be >= 1");
  if (permutations < 1) throw std::invalid_argument("analysis plan: permutations must be >= 1");
}

OlsFit fit_ols(const Eigen::MatrixXd& design, const Eigen::VectorXd& response) {
  OlsFit fit;
  const Eigen::Index n = design.rows();
  const Eigen::Index p = design.cols();
  if (n < p || response.size() != n) return fit;
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(design);
  qr.setThreshold(1e-10);
  if (qr.rank() < p) return fit;
  fit.full_rank = true;
  fit.beta = qr.solve(response);
  fit.residual_df = static_cast<std::int64_t>(n - p);
  const double rss = (response - design * fit.beta).squaredNorm();
  fit.sigma = fit.residual_df > 0 ? std::sqrt(rss / static_cast<double>(fit.residual_df)) : kNaN;
  // (X'X)^-1 = P R^-1 R^-T P' with X P = Q R.
  const Eigen::MatrixXd r = qr.matrixR().topLeftCorner(p, p).template triangularView<Eigen::Upper>();
  const Eigen::MatrixXd r_inverse =
      r.triangularView<Eigen::Upper>().solve(Eigen::MatrixXd::Identity(p, p));
  const Eigen::MatrixXd unpermuted = r_inverse * r_inverse.transpose();
  const Eigen::MatrixXd covariance = qr.colsPermutation() * unpermuted * qr.colsPermutation().transpose();
  fit.se = (covariance.diagonal() * fit.sigma * fit.sigma).cwiseSqrt();
  return fit;
}

Eigen::MatrixXd primary_design(const std::vector<const AnalysisRow*>& rows, const std::vector<std::size_t>& seed_of,
                               std::size_t seed_count, const DesignTerms& terms) {
  const Eigen::Index fixed = 2 + (terms.log_lr ? 1 : 0) + (terms.weight_decay ? 1 : 0);
  const Eigen::Index columns = fixed + static_cast<Eigen::Index>(seed_count > 0 ? seed_count - 1 : 0);
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(rows.size()), columns);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    const AnalysisRow& row = *rows[i];
    if (!(row.mean_effective_lr > 0.0) || !std::isfinite(row.mean_effective_lr)) {
      throw std::invalid_argument("primary_analysis: arm " + row.arm + " seed " + std::to_string(row.seed) +
                                  ": mean effective LR must be finite and positive, got " + fmt(row.mean_effective_lr));
    }
    Eigen::Index c = 0;
    x(r, c++) = 1.0;
    x(r, c++) = row.onecycle ? 1.0 : 0.0;
    if (terms.log_lr) x(r, c++) = std::log(row.mean_effective_lr);
    if (terms.weight_decay) x(r, c++) = row.weight_decay ? 1.0 : 0.0;
    if (seed_of[i] > 0) x(r, fixed + static_cast<Eigen::Index>(seed_of[i]) - 1) = 1.0;
  }
  return x;
}

double minimum_detectable_log_effect(double se, std::int64_t df, double alpha, double power) {
  if (!(se >= 0.0) || df <= 0) return kNaN;
  return (student_quantile(1.0 - 0.5 * alpha, df) + student_quantile(power, df)) * se;
}

Verdict classify(const Interval& ci, double smallest_effect) {
  const double s = std::min(smallest_effect, 1.0 / smallest_effect);
  if (ci.high < 1.0) return Verdict::kLower;
  if (ci.low > 1.0) return Verdict::kHigher;
  if (ci.low >= s && ci.high <= 1.0 / s) return Verdict::kNoMeaningfulEffect;
  return Verdict::kInconclusive;
}

std::string verdict_text(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLower: return "1cycle lower";
    case Verdict::kHigher: return "1cycle higher";
    case Verdict::kNoMeaningfulEffect: return "no meaningful effect";
    case Verdict::kInconclusive: break;
  }
  return "inconclusive";
}

StratifiedRelevance stratified_relevance(const std::vector<AnalysisRow>& rows, const std::string& measure,
                                         const std::string& accuracy, int permutations, std::uint64_t seed) {
  StratifiedRelevance out;
  out.measure = measure;
  out.permutations = permutations;
  std::vector<std::vector<double>> xs, ys;
  for (const std::string& arm : arms_in_order(rows)) {
    std::vector<double> x, y;
    for (const AnalysisRow& row : rows) {
      if (row.arm != arm) continue;
      auto m = row.measures.find(measure);
      auto a = row.measures.find(accuracy);
      if (m == row.measures.end() || a == row.measures.end() || !std::isfinite(m->second) || !std::isfinite(a->second)) continue;
      x.push_back(m->second);
      y.push_back(a->second);
    }
    TestResult tau = kendall_tau(x, y);
    if (std::isnan(tau.statistic)) continue;  // fewer than 2 runs or a constant variable
    out.arms.push_back(arm);
    out.within.push_back(tau);
    xs.push_back(std::move(x));
    ys.push_back(std::move(y));
  }
  std::vector<double> taus;
  for (const TestResult& t : out.within) taus.push_back(t.statistic);
  out.stratified_tau = mean_of_defined(taus);
  out.permutation_p = kNaN;
  if (std::isnan(out.stratified_tau)) return out;
  std::mt19937_64 engine(seed);
  std::int64_t extreme = 0;
  const double observed = std::fabs(out.stratified_tau);
  for (int b = 0; b < permutations; ++b) {
    double sum = 0.0;
    for (std::size_t a = 0; a < xs.size(); ++a) {
      std::vector<double> shuffled = ys[a];
      resampling::shuffle(shuffled, engine);
      sum += kendall_tau(xs[a], shuffled, PMethod::kApprox).statistic;
    }
    // Relative tolerance: a permuted mean equal to the observed one up to rounding counts as extreme.
    if (std::fabs(sum / static_cast<double>(xs.size())) >= observed * (1.0 - 1e-12)) ++extreme;
  }
  out.permutation_p = static_cast<double>(1 + extreme) / static_cast<double>(1 + permutations);
  return out;
}

std::vector<AnalysisRow> trained_rows(const std::vector<AnalysisRow>& rows) {
  std::vector<AnalysisRow> out;
  std::copy_if(rows.begin(), rows.end(), std::back_inserter(out), [](const AnalysisRow& row) { return row.trained; });
  return out;
}

PrimaryAnalysis primary_analysis(const std::vector<AnalysisRow>& all_rows, const AnalysisPlan& plan) {
  plan.check();
  PrimaryAnalysis analysis;
  std::copy_if(all_rows.begin(), all_rows.end(), std::back_inserter(analysis.not_trained),
               [](const AnalysisRow& row) { return !row.trained; });
  const std::vector<AnalysisRow> rows = trained_rows(all_rows);
  analysis.plan = plan;
  analysis.plan.smallest_effect = std::min(plan.smallest_effect, 1.0 / plan.smallest_effect);
  std::vector<double> p;
  for (std::size_t i = 0; i < plan.primary.size(); ++i) {
    analysis.contrasts.push_back(analyse_measure(rows, plan.primary[i], analysis.plan, i));
    p.push_back(analysis.contrasts.back().p_value);
  }
  const std::vector<double> holm = holm_adjust(p);
  for (std::size_t i = 0; i < holm.size(); ++i) analysis.contrasts[i].p_holm = holm[i];

  std::set<std::string> measures;
  for (const AnalysisRow& row : rows) {
    for (const auto& entry : row.measures) {
      if (entry.first != plan.accuracy) measures.insert(entry.first);
    }
  }
  std::uint64_t stream = resampling::splitmix64(plan.seed ^ 0x5EEDULL);
  for (const std::string& measure : measures) {
    stream = resampling::splitmix64(stream);
    analysis.relevance.push_back(stratified_relevance(rows, measure, plan.accuracy, plan.permutations, stream));
  }
  return analysis;
}

std::string verdict_paragraph(const PrimaryAnalysis& analysis) {
  const AnalysisPlan& plan = analysis.plan;
  const std::size_t m = analysis.contrasts.size();
  std::string text = "Primary analysis (pre-registered): the ratio 1cycle / constant rate at equal mean effective "
                     "learning rate, weight decay and seed (OLS of the log measure, seeds as fixed effects; CIs from " +
                     std::to_string(plan.resamples) + " resamples of the seeds), Holm over " + std::to_string(m) +
                     " measure(s), smallest effect of interest " + fmt(plan.smallest_effect, 3) + " or " +
                     fmt(1.0 / plan.smallest_effect, 3) + ".";
  for (const PrimaryContrast& c : analysis.contrasts) {
    text += " " + c.measure + ": " + verdict_text(c.verdict) + ", ratio " + fmt(c.ratio, 3) + " (95% CI " +
            fmt(c.ci.low, 3) + "-" + fmt(c.ci.high, 3) + "; " + fmt(100.0 * c.adjusted_level, 3) + "% CI " +
            fmt(c.ci_adjusted.low, 3) + "-" + fmt(c.ci_adjusted.high, 3) + ", which decides; OLS t p = " +
            fmt_p(c.p_value) + ", Holm p = " + fmt_p(c.p_holm) + "; minimum detectable effect at " +
            fmt(100.0 * plan.power, 3) + "% power " + fmt(c.mde_ratio.low, 3) + " or " + fmt(c.mde_ratio.high, 3) +
            "; " + std::to_string(c.runs) + " runs, " + std::to_string(c.seeds) + " seeds" +
            (c.left_out > 0 ? ", " + std::to_string(c.left_out) + " run(s) without a value left out" : std::string()) +
            (c.singular_resamples > 0 ? ", " + std::to_string(c.singular_resamples) + " singular resample(s) redrawn"
                                      : std::string()) +
            ")" + (c.excludes_smallest_below && c.verdict != Verdict::kLower
                       ? "; the CI excludes " + fmt(plan.smallest_effect, 3) + ": not flatter by the smallest effect"
                       : std::string()) +
            ".";
  }
  if (!analysis.not_trained.empty()) {
    std::map<std::string, int> per_arm;
    for (const AnalysisRow& row : analysis.not_trained) ++per_arm[row.arm];
    std::vector<std::string> parts;
    for (const auto& [arm, count] : per_arm) parts.push_back(arm + " " + std::to_string(count));
    text += " Runs that did not train are left out of every analysis and listed below (" + core::join(parts, ", ") +
            ").";
  }
  return text + " Everything else in this report is exploratory.";
}

}  // namespace curvtrack::report
