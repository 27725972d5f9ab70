#include "curvtrack/report/comparison.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "curvtrack/core/text.hpp"

namespace curvtrack::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <typename T>
double value_or_nan(const std::optional<T>& value) {
  return value ? static_cast<double>(*value) : kNaN;
}

double metrics_value(const std::vector<runs::MetricsRow>& metrics, std::int64_t step, const char* column) {
  for (const auto& row : metrics) {
    auto step_cell = row.find("step");
    if (step_cell == row.end() || static_cast<std::int64_t>(step_cell->second) != step) continue;
    auto cell = row.find(column);
    if (cell != row.end()) return cell->second;
  }
  return kNaN;
}

const ProbeMeasures* labelled_probe(const std::vector<ProbeMeasures>& probes, const std::string& label) {
  for (const auto& probe : probes) {
    if (probe.label == label) return &probe;
  }
  return nullptr;
}

const ProbeMeasures* probe_at_step(const std::vector<ProbeMeasures>& probes, std::int64_t step) {
  for (const auto& probe : probes) {
    if (probe.step == step) return &probe;
  }
  return nullptr;
}

const ProbeMeasures* first_probe_below(const std::vector<ProbeMeasures>& probes, double loss) {
  for (const auto& probe : probes) {
    if (std::isfinite(probe.train_loss) && probe.train_loss <= loss) return &probe;
  }
  return nullptr;
}

TestResult undefined_test(const std::string& why) { return {kNaN, kNaN, 0, why}; }

template <typename Test>
TestResult guarded(Test test) {
  try {
    return test();
  } catch (const std::exception& error) {
    return undefined_test(error.what());
  }
}

}  // namespace

const std::vector<MeasureInfo>& measure_catalog() {
  static const std::vector<MeasureInfo> catalog = {
      {"lambda_max", "λmax", true, &ProbeMeasures::lambda_max},
      {"trace", "trace", true, &ProbeMeasures::trace},
      {"adaptive_sharpness", "adaptive sharpness", true, &ProbeMeasures::adaptive_sharpness},
      {"epsilon_sharpness", "ε-sharpness (%)", true, &ProbeMeasures::epsilon_sharpness},
      {"test_accuracy", "test accuracy", false, &ProbeMeasures::test_accuracy},
      {"generalization_gap", "generalisation gap", false, &ProbeMeasures::generalization_gap},
      {"weight_norm", "weight norm", false, &ProbeMeasures::weight_norm},
  };
  return catalog;
}

ProbeMeasures probe_measures(const runs::CurvatureRecord& record, std::int64_t total_steps,
                             const std::vector<runs::MetricsRow>& metrics, bool test_probe_is_train) {
  ProbeMeasures m;
  m.step = record.step;
  m.label = record.label;
  m.fraction = total_steps > 0 ? static_cast<double>(m.step) / static_cast<double>(total_steps) : kNaN;
  m.lr = value_or_nan(record.lr);
  m.momentum = value_or_nan(record.momentum);
  m.lambda_max = record.top && !record.top->values.empty() ? record.top->values.front() : kNaN;
  m.trace = record.trace ? record.trace->value : kNaN;
  m.adaptive_sharpness = record.adaptive_sharpness ? record.adaptive_sharpness->sharpness : kNaN;
  m.epsilon_sharpness = record.epsilon_sharpness ? value_or_nan(record.epsilon_sharpness->percent) : kNaN;
  m.train_loss = record.train_probe ? record.train_probe->loss : kNaN;
  m.train_accuracy = record.train_probe ? record.train_probe->accuracy : kNaN;
  const bool test_probe = record.test_probe && !test_probe_is_train;
  m.test_loss = test_probe ? record.test_probe->loss : kNaN;
  m.test_accuracy = test_probe ? record.test_probe->accuracy : kNaN;
  if (std::isnan(m.test_loss)) m.test_loss = metrics_value(metrics, m.step, "test_loss");
  if (std::isnan(m.test_accuracy)) m.test_accuracy = metrics_value(metrics, m.step, "test_accuracy");
  m.generalization_gap = m.test_loss - m.train_loss;
  m.weight_norm = record.weight_norm ? record.weight_norm->global : kNaN;
  m.gradient_norm = value_or_nan(record.gradient_norm);
  m.stability_ratio = record.stability ? record.stability->lr_times_lambda_max : kNaN;
  m.stability_limit = record.stability ? value_or_nan(record.stability->limit) : kNaN;
  return m;
}

std::vector<ProbeMeasures> probe_trajectory(const LoadedRun& run) {
  std::vector<ProbeMeasures> probes;
  const bool test_probe_is_train = test_probe_on_training_split(run);
  for (const auto& record : run.curvature) {
    if (record.measured()) probes.push_back(probe_measures(record, run.total_steps, run.metrics, test_probe_is_train));
  }
  return probes;
}

const ProbeMeasures* end_probe(const std::vector<ProbeMeasures>& probes) {
  for (const auto& probe : probes) {
    if (probe.label == "end") return &probe;
  }
  return probes.empty() ? nullptr : &probes.back();
}

bool usable_for_comparison(const LoadedRun& run, std::string* why_not) {
  std::string why;
  if (run.status != "completed") {
    why = run.status == "diverged" ? "diverged" : "status " + run.status;
  } else if (!run.damage.empty()) {
    why = "damaged (" + run.damage.front() + ")";
  } else if (probe_trajectory(run).empty()) {
    why = "no curvature probes";
  }
  if (why_not != nullptr) *why_not = why;
  return why.empty();
}

const char* alignment_key(Alignment alignment) {
  switch (alignment) {
    case Alignment::kEnd:
      return "end";
    case Alignment::kPeak:
      return "peak";
    case Alignment::kEqualLoss:
      return "equal_loss";
  }
  return "";
}

AlignedPairs align_pairs(const std::vector<LoadedRun>& runs, const std::string& arm_a, const std::string& arm_b,
                         Alignment alignment) {
  AlignedPairs aligned;
  aligned.alignment = alignment;
  switch (alignment) {
    case Alignment::kEnd:
      aligned.title = "at equal steps: end of training";
      break;
    case Alignment::kPeak:
      aligned.title = "at equal steps: the learning-rate peak of the compared arm";
      break;
    case Alignment::kEqualLoss:
      aligned.title = "at equal training loss";
      break;
  }
  std::map<std::int64_t, const LoadedRun*> by_seed_a, by_seed_b;
  for (const auto& run : runs) {
    if (run.arm == arm_a) by_seed_a[run.seed] = &run;
    if (run.arm == arm_b) by_seed_b[run.seed] = &run;
  }
  std::map<std::int64_t, bool> seeds;
  for (const auto& entry : by_seed_a) seeds[entry.first] = true;
  for (const auto& entry : by_seed_b) seeds[entry.first] = true;
  for (const auto& entry : seeds) {
    const std::int64_t seed = entry.first;
    const std::string seed_text = "seed " + std::to_string(seed) + ": ";
    auto found_a = by_seed_a.find(seed);
    auto found_b = by_seed_b.find(seed);
    if (found_a == by_seed_a.end() || found_b == by_seed_b.end()) {
      aligned.excluded.push_back(seed_text + "no " + (found_a == by_seed_a.end() ? arm_a : arm_b) + " run");
      continue;
    }
    std::vector<std::string> problems;
    for (const LoadedRun* run : {found_a->second, found_b->second}) {
      std::string why;
      if (!usable_for_comparison(*run, &why)) problems.push_back(run->arm + " " + why);
    }
    if (!problems.empty()) {
      aligned.excluded.push_back(seed_text + core::join(problems, "; "));
      continue;
    }
    // Equal budgets are the premise of every comparison (docs/methods.md section 4.1).
    if (found_a->second->total_steps != found_b->second->total_steps) {
      aligned.excluded.push_back(seed_text + "unequal budgets (" + arm_a + " " +
                                 std::to_string(found_a->second->total_steps) + " steps, " + arm_b + " " +
                                 std::to_string(found_b->second->total_steps) + ")");
      continue;
    }
    const auto probes_a = probe_trajectory(*found_a->second);
    const auto probes_b = probe_trajectory(*found_b->second);
    const ProbeMeasures* a = nullptr;
    const ProbeMeasures* b = nullptr;
    double target = kNaN;
    if (alignment == Alignment::kEnd) {
      a = end_probe(probes_a);
      b = end_probe(probes_b);
    } else if (alignment == Alignment::kPeak) {
      // Equal steps: both arms at the step of the compared arm's peak (the baseline's when the
      // compared arm has none); a constant schedule "peaks" at step 0, which says nothing.
      const ProbeMeasures* reference = labelled_probe(probes_b, "peak");
      const std::string& peak_arm = reference != nullptr ? arm_b : arm_a;
      if (reference == nullptr) reference = labelled_probe(probes_a, "peak");
      if (reference == nullptr) {
        aligned.excluded.push_back(seed_text + "no probe labelled peak in either arm");
        continue;
      }
      const std::int64_t step = reference->step;
      a = probe_at_step(probes_a, step);
      b = probe_at_step(probes_b, step);
      if (a == nullptr || b == nullptr) {
        aligned.excluded.push_back(seed_text + "no " + (a == nullptr ? arm_a : arm_b) + " probe at step " +
                                   std::to_string(step) + " (the " + peak_arm +
                                   " LR peak); add that fraction to curvature.at");
        continue;
      }
    } else {
      const ProbeMeasures* end_a = end_probe(probes_a);
      const ProbeMeasures* end_b = end_probe(probes_b);
      target = std::max(end_a->train_loss, end_b->train_loss);
      if (!std::isfinite(target)) {
        aligned.excluded.push_back(seed_text + "no finite training loss at the end probe");
        continue;
      }
      a = first_probe_below(probes_a, target);
      b = first_probe_below(probes_b, target);
    }
    aligned.pairs.push_back({seed, *a, *b, target});
  }
  return aligned;
}

ComparisonTable compare(const AlignedPairs& aligned, const std::string& arm_a, const std::string& arm_b,
                        const std::string& suffix, double alpha, std::int64_t minimum_n, std::uint64_t seed) {
  ComparisonTable table;
  table.aligned = aligned;
  const auto& pairs = aligned.pairs;
  std::vector<std::string> names;
  std::vector<std::vector<double>> values_a, values_b;
  std::vector<const MeasureInfo*> compared;
  for (const auto& info : measure_catalog()) {
    if (!info.primary) continue;
    std::vector<double> a, b;
    std::size_t not_positive = 0;
    for (const auto& pair : pairs) {
      double x = pair.a.*info.field, y = pair.b.*info.field;
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      if (!(x > 0) || !(y > 0)) ++not_positive;
      a.push_back(x);
      b.push_back(y);
    }
    const std::string name = std::string(info.name) + suffix;
    if (a.empty()) {
      table.not_compared.push_back(name + ": not measured" + (pairs.empty() ? " (no pairs)" : ""));
      continue;
    }
    if (not_positive > 0) {
      table.not_compared.push_back(name + ": " + std::to_string(not_positive) +
                                   " pair(s) with a value <= 0, so the log ratio is undefined");
      continue;
    }
    if (a.size() < pairs.size()) {
      table.not_compared.push_back(name + ": measured in " + std::to_string(a.size()) + " of " +
                                   std::to_string(pairs.size()) + " pairs (compared on those)");
    }
    names.push_back(name);
    values_a.push_back(std::move(a));
    values_b.push_back(std::move(b));
    compared.push_back(&info);
  }
  if (!names.empty()) {
    // Ratios read b / a: the compared arm against the baseline.
    table.primary = compare_paired(names, values_b, values_a, seed);
    for (const auto* info : compared) table.primary_keys.push_back(info->key);
    for (const auto& comparison : table.primary) table.verdicts.push_back(verdict(comparison, arm_b, arm_a, alpha, minimum_n));
  }

  for (const auto& info : measure_catalog()) {
    if (info.primary) continue;
    CovariateComparison c;
    c.measure = std::string(info.name) + suffix;
    std::vector<double> a, b, d;
    for (const auto& pair : pairs) {
      double x = pair.a.*info.field, y = pair.b.*info.field;
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      a.push_back(x);
      b.push_back(y);
      d.push_back(y - x);
    }
    c.n = static_cast<std::int64_t>(d.size());
    c.a = summarize(a);
    c.b = summarize(b);
    c.mean_difference = c.n > 0 ? summarize(d).mean : kNaN;
    c.t = d.empty() ? undefined_test("no pairs") : guarded([&] { return paired_t_test(d); });
    c.wilcoxon = d.empty() ? undefined_test("no pairs") : guarded([&] { return wilcoxon_signed_rank(d); });
    table.covariates.push_back(std::move(c));
  }

  // Relevance: does flatness go with accuracy / gap, across runs and across pair differences?
  for (std::size_t i = 0; i < compared.size(); ++i) {
    const MeasureInfo& info = *compared[i];
    for (auto against : {&ProbeMeasures::test_accuracy, &ProbeMeasures::generalization_gap}) {
      const std::string against_name = against == &ProbeMeasures::test_accuracy ? "test accuracy" : "generalisation gap";
      std::vector<double> x, y, dx, dy;
      for (const auto& pair : pairs) {
        for (const ProbeMeasures* probe : {&pair.a, &pair.b}) {
          if (std::isfinite(probe->*info.field) && std::isfinite(probe->*against)) {
            x.push_back(probe->*info.field);
            y.push_back(probe->*against);
          }
        }
        double fa = pair.a.*info.field, fb = pair.b.*info.field;
        double ga = pair.a.*against, gb = pair.b.*against;
        if (fa > 0 && fb > 0 && std::isfinite(fa) && std::isfinite(fb) && std::isfinite(ga) && std::isfinite(gb)) {
          dx.push_back(std::log(fb / fa));
          dy.push_back(gb - ga);
        }
      }
      table.relevance.push_back({table.primary[i].measure, against_name, "runs",
                                 guarded([&] { return kendall_tau(x, y); })});
      table.relevance.push_back({table.primary[i].measure, against_name, "pairs",
                                 guarded([&] { return kendall_tau(dx, dy); })});
    }
  }
  return table;
}

std::vector<ComparisonTable> compare_arms(const std::vector<LoadedRun>& runs, const std::string& arm_a,
                                          const std::string& arm_b, double alpha, std::int64_t minimum_n,
                                          std::uint64_t bootstrap_seed) {
  const std::vector<std::pair<Alignment, std::string>> alignments = {
      {Alignment::kEnd, " at the end"}, {Alignment::kPeak, " at the LR peak"}, {Alignment::kEqualLoss, " at equal training loss"}};
  std::vector<ComparisonTable> tables;
  for (std::size_t i = 0; i < alignments.size(); ++i) {
    AlignedPairs aligned = align_pairs(runs, arm_a, arm_b, alignments[i].first);
    tables.push_back(compare(aligned, arm_a, arm_b, alignments[i].second, alpha, minimum_n, bootstrap_seed + i));
  }
  return tables;
}

}  // namespace curvtrack::report
