#include "tables.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "arms.hpp"
#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/text.hpp"

namespace fs = std::filesystem;

namespace curvtrack::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using ProbeField = double ProbeMeasures::*;

std::string csv_number(double value) {
  if (std::isnan(value)) return "";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char text[48];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_text(const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  for (const auto& row : rows) {
    std::vector<std::string> fields;
    for (const auto& cell : row) fields.push_back(csv_field(cell));
    out += core::join(fields, ",") + "\n";
  }
  return out;
}

const std::vector<std::pair<const char*, ProbeField>>& probe_columns() {
  static const std::vector<std::pair<const char*, ProbeField>> columns = {
      {"lr", &ProbeMeasures::lr},
      {"momentum", &ProbeMeasures::momentum},
      {"lambda_max", &ProbeMeasures::lambda_max},
      {"trace", &ProbeMeasures::trace},
      {"adaptive_sharpness", &ProbeMeasures::adaptive_sharpness},
      {"epsilon_sharpness_percent", &ProbeMeasures::epsilon_sharpness},
      {"train_probe_loss", &ProbeMeasures::train_loss},
      {"train_probe_accuracy", &ProbeMeasures::train_accuracy},
      {"test_loss", &ProbeMeasures::test_loss},
      {"test_accuracy", &ProbeMeasures::test_accuracy},
      {"generalization_gap", &ProbeMeasures::generalization_gap},
      {"weight_norm", &ProbeMeasures::weight_norm},
      {"gradient_norm", &ProbeMeasures::gradient_norm},
      {"stability_ratio", &ProbeMeasures::stability_ratio},
      {"stability_limit", &ProbeMeasures::stability_limit},
  };
  return columns;
}

std::vector<std::string> probe_header(std::vector<std::string> leading) {
  for (const char* column : {"step", "fraction", "label"}) leading.push_back(column);
  for (const auto& column : probe_columns()) leading.push_back(column.first);
  return leading;
}

std::vector<std::string> probe_row(std::vector<std::string> leading, const ProbeMeasures& probe) {
  leading.push_back(std::to_string(probe.step));
  leading.push_back(csv_number(probe.fraction));
  leading.push_back(probe.label);
  for (const auto& column : probe_columns()) leading.push_back(csv_number(probe.*column.second));
  return leading;
}

// runs.csv and skipped.csv: every directory given, read or not.
void write_run_tables(const fs::path& dir, const ReportResult& result, const std::vector<const LoadedRun*>& runs) {
  std::vector<std::vector<std::string>> rows = {{"arm", "seed", "status", "total_steps", "steps_done", "compared",
                                                 "not_compared_because", "final_test_loss", "final_test_accuracy",
                                                 "lr_max_chosen", "train_seconds", "probe_seconds", "directory"}};
  auto number = [](const auto& value) { return value ? csv_number(static_cast<double>(*value)) : std::string(); };
  for (const LoadedRun* run : runs) {
    std::string why;
    bool usable = usable_for_comparison(*run, &why);
    rows.push_back({run->arm, std::to_string(run->seed), run->status, std::to_string(run->total_steps),
                    number(run->meta.steps_done), usable ? "yes" : "no", why, csv_number(last_metric(*run, "test_loss")),
                    csv_number(last_metric(*run, "test_accuracy")), number(run->meta.lr_max_chosen),
                    number(run->meta.train_seconds), number(run->meta.probe_seconds), run->dir.string()});
  }
  core::write_file_atomically(dir / "runs.csv", csv_text(rows));

  rows = {{"directory", "reason"}};
  for (const auto& s : result.skipped) rows.push_back({s.dir.string(), s.reason});
  core::write_file_atomically(dir / "skipped.csv", csv_text(rows));
}

// end_measures.csv, probe_trajectories.csv and metrics_trajectories.csv: every run's own numbers.
void write_trajectory_tables(const fs::path& dir, const std::vector<const LoadedRun*>& runs) {
  std::vector<std::vector<std::string>> rows = {probe_header({"arm", "seed", "status"})};
  std::vector<std::vector<std::string>> trajectory = {probe_header({"arm", "seed", "status"})};
  for (const LoadedRun* run : runs) {
    auto probes = probe_trajectory(*run);
    for (const auto& probe : probes) trajectory.push_back(probe_row({run->arm, std::to_string(run->seed), run->status}, probe));
    const ProbeMeasures* end = run->damage.empty() ? end_probe(probes) : nullptr;  // a damaged run's end is unknown
    if (end != nullptr) rows.push_back(probe_row({run->arm, std::to_string(run->seed), run->status}, *end));
  }
  core::write_file_atomically(dir / "end_measures.csv", csv_text(rows));
  core::write_file_atomically(dir / "probe_trajectories.csv", csv_text(trajectory));

  std::set<std::string> metric_columns;
  for (const LoadedRun* run : runs) {
    for (const auto& row : run->metrics) {
      for (const auto& cell : row) metric_columns.insert(cell.first);
    }
  }
  metric_columns.erase("step");
  std::vector<std::string> header = {"arm", "seed", "status", "step", "fraction"};
  header.insert(header.end(), metric_columns.begin(), metric_columns.end());
  rows = {header};
  for (const LoadedRun* run : runs) {
    for (const auto& row : run->metrics) {
      auto step = row.find("step");
      double s = step == row.end() ? kNaN : step->second;
      std::vector<std::string> line = {run->arm, std::to_string(run->seed), run->status, csv_number(s),
                                       csv_number(run->total_steps > 0 ? s / static_cast<double>(run->total_steps) : kNaN)};
      for (const auto& column : metric_columns) {
        auto cell = row.find(column);
        line.push_back(cell == row.end() ? "" : csv_number(cell->second));
      }
      rows.push_back(std::move(line));
    }
  }
  core::write_file_atomically(dir / "metrics_trajectories.csv", csv_text(rows));
}

// comparison.csv, pairs.csv and relevance.csv: every alignment's statistics and the values behind them.
void write_comparison_tables(const fs::path& dir, const ReportResult& result) {
  const std::string& a = result.baseline;
  const std::string& b = result.compared;
  std::vector<std::vector<std::string>> rows = {{"alignment", "measure", "kind", "n", "baseline", "baseline_mean", "baseline_sd", "compared", "compared_mean",
           "compared_sd", "mean_log_ratio", "mean_difference", "t_statistic", "t_p", "wilcoxon_statistic", "wilcoxon_p",
           "holm_p", "ratio", "ratio_ci_low", "ratio_ci_high", "verdict"}};
  std::vector<std::vector<std::string>> pairs = {{"alignment", "seed", "arm", "step", "label", "measure", "value"}};
  std::vector<std::vector<std::string>> relevance = {{"alignment", "measure", "against", "over", "n", "tau_b", "p", "method"}};
  for (const auto& table : result.tables) {
    const std::string key = table.aligned.key();
    for (std::size_t i = 0; i < table.primary.size(); ++i) {
      const auto& c = table.primary[i];
      rows.push_back({key, c.measure, "flatness", std::to_string(c.n), a, csv_number(c.b.mean), csv_number(c.b.sd), b,
                      csv_number(c.a.mean), csv_number(c.a.sd), csv_number(c.mean_log_difference), "",
                      csv_number(c.t.statistic), csv_number(c.t.p_value), csv_number(c.wilcoxon.statistic),
                      csv_number(c.wilcoxon.p_value), csv_number(c.p_holm), csv_number(c.ratio),
                      csv_number(c.ratio_ci.low), csv_number(c.ratio_ci.high), table.verdicts[i]});
    }
    for (const auto& c : table.covariates) {
      rows.push_back({key, c.measure, "covariate", std::to_string(c.n), a, csv_number(c.a.mean), csv_number(c.a.sd), b,
                      csv_number(c.b.mean), csv_number(c.b.sd), "", csv_number(c.mean_difference),
                      csv_number(c.t.statistic), csv_number(c.t.p_value), csv_number(c.wilcoxon.statistic),
                      csv_number(c.wilcoxon.p_value), "", "", "", "", ""});
    }
    for (const auto& pair : table.aligned.pairs) {
      for (const auto& info : measure_catalog()) {
        pairs.push_back({key, std::to_string(pair.seed), a, std::to_string(pair.a.step), pair.a.label, info.key,
                         csv_number(pair.a.*info.field)});
        pairs.push_back({key, std::to_string(pair.seed), b, std::to_string(pair.b.step), pair.b.label, info.key,
                         csv_number(pair.b.*info.field)});
      }
    }
    for (const auto& r : table.relevance) {
      relevance.push_back({key, r.measure, r.against, r.over, std::to_string(r.tau.n), csv_number(r.tau.statistic),
                           csv_number(r.tau.p_value), r.tau.method});
    }
  }
  core::write_file_atomically(dir / "comparison.csv", csv_text(rows));
  core::write_file_atomically(dir / "pairs.csv", csv_text(pairs));
  core::write_file_atomically(dir / "relevance.csv", csv_text(relevance));
}

}  // namespace

void write_tables(const fs::path& dir, const ReportResult& result, const std::vector<const LoadedRun*>& runs) {
  write_run_tables(dir, result, runs);
  write_trajectory_tables(dir, runs);
  write_comparison_tables(dir, result);
}

}  // namespace curvtrack::report
