#include "report_document.hpp"

#include "primary_document.hpp"

#include <cmath>
#include <ctime>
#include <functional>
#include <map>

#include "arms.hpp"
#include "curvtrack/core/text.hpp"
#include "format.hpp"

namespace fs = std::filesystem;

namespace curvtrack::report {
namespace {

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

std::string optional_text(const std::optional<double>& value) { return value ? fmt(*value, 6) : ""; }

// "a" when the runs of an arm agree, "a (3 runs); b (2 runs)" when they do not; "n/a" when none says.
std::string distinct_values(const std::vector<const LoadedRun*>& runs, const std::function<std::string(const LoadedRun&)>& get) {
  std::map<std::string, int> counts;
  for (const LoadedRun* run : runs) {
    std::string value = get(*run);
    if (!value.empty()) ++counts[value];
  }
  if (counts.empty()) return "n/a";
  std::vector<std::string> values;
  for (const auto& [value, count] : counts) {
    values.push_back(value + (counts.size() > 1 ? " (" + std::to_string(count) + " runs)" : ""));
  }
  return core::join(values, "; ");
}

std::vector<std::vector<std::string>> primary_rows(const ComparisonTable& table, const std::string& a, const std::string& b) {
  std::vector<std::vector<std::string>> rows = {{"measure", "n", a + " mean ± SD", b + " mean ± SD",
                                                 "mean log(" + b + "/" + a + ")", "t p", "Wilcoxon p", "Holm p",
                                                 "ratio " + b + "/" + a + " [95% CI]"}};
  for (const auto& c : table.primary) {
    rows.push_back({c.measure, std::to_string(c.n), mean_sd(c.b), mean_sd(c.a), fmt(c.mean_log_difference, 3),
                    fmt_p(c.t.p_value), fmt_p(c.wilcoxon.p_value), fmt_p(c.p_holm),
                    fmt(c.ratio, 3) + " [" + fmt(c.ratio_ci.low, 3) + ", " + fmt(c.ratio_ci.high, 3) + "]"});
  }
  return rows;
}

// compare() puts the compared arm in PairedComparison::a; the table shows the baseline first.
std::vector<std::vector<std::string>> covariate_rows(const ComparisonTable& table, const std::string& a, const std::string& b) {
  std::vector<std::vector<std::string>> rows = {
      {"measure", "n", a + " mean ± SD", b + " mean ± SD", "mean difference " + b + " - " + a, "t p", "Wilcoxon p"}};
  for (const auto& c : table.covariates) {
    rows.push_back({c.measure, std::to_string(c.n), mean_sd(c.a), mean_sd(c.b), fmt(c.mean_difference, 3),
                    fmt_p(c.t.p_value), fmt_p(c.wilcoxon.p_value)});
  }
  return rows;
}

std::string relevance_sentence(const Relevance& r) {
  std::string what = r.over == "runs" ? "across runs (both arms)" : "across seeds (log ratio vs difference)";
  if (std::isnan(r.tau.statistic)) {
    return r.measure + " vs " + r.against + " " + what + ": undefined (" + r.tau.method + ")";
  }
  return r.measure + " vs " + r.against + " " + what + ": Kendall tau-b = " + fmt(r.tau.statistic, 3) +
         ", p = " + fmt_p(r.tau.p_value) + ", n = " + std::to_string(r.tau.n);
}

void add_verdicts(Document& doc, const ReportInputs& inputs) {
  const ReportResult& result = inputs.result;
  doc.heading(2, "Verdicts");
  if (result.tables.empty()) {
    doc.paragraph(inputs.arms.size() < 2 ? "Nothing to compare: the runs hold " + std::to_string(inputs.arms.size()) +
                                               " arm(s), two are needed."
                                         : "Nothing to compare.");
    return;
  }
  doc.paragraph("Hypothesis (Smith & Topin): " + result.compared + " ends in flatter minima than " + result.baseline +
                ". Primary test: within-seed log ratios at the end of training, paired t-test, Holm-adjusted across "
                "the flatness measures at level " + fmt(inputs.options.alpha, 3) + "; at least " +
                std::to_string(inputs.options.minimum_seeds) + " seeds for a claim.");
  doc.list(result.tables[0].verdicts);
  if (!result.tables[0].not_compared.empty()) doc.list(result.tables[0].not_compared);
  for (std::size_t t = 1; t < result.tables.size(); ++t) {
    if (result.tables[t].verdicts.empty()) continue;
    doc.paragraph("Secondary, " + result.tables[t].aligned.title + " (Holm within this alignment):");
    doc.list(result.tables[t].verdicts);
  }
  std::vector<std::string> relevance;
  for (const auto& r : result.tables[0].relevance) {
    if (r.over == "runs" && r.against == "test accuracy") relevance.push_back("Relevance: " + relevance_sentence(r));
  }
  doc.list(relevance);
}

// One line per arm: its runs by status and what they were run with.
std::string arm_settings(const std::string& arm, const std::vector<const LoadedRun*>& runs) {
  std::vector<const LoadedRun*> of_arm;
  for (const LoadedRun* run : runs) {
    if (run->arm == arm) of_arm.push_back(run);
  }
  std::map<std::string, int> statuses;
  for (const LoadedRun* run : of_arm) ++statuses[run->status];
  std::vector<std::string> status_counts;
  for (const auto& [status, count] : statuses) status_counts.push_back(std::to_string(count) + " " + status);
  return "Arm " + arm + ": " + std::to_string(of_arm.size()) + " run(s) (" + core::join(status_counts) + "); schedule " +
         distinct_values(of_arm, [](const LoadedRun& r) { return r.meta.schedule.value_or(""); }) + "; optimizer " +
         distinct_values(of_arm, [](const LoadedRun& r) { return r.meta.optimizer.value_or(""); }) + "; model " +
         distinct_values(of_arm, [](const LoadedRun& r) { return r.meta.model ? r.meta.model->spec : ""; }) +
         "; total steps " +
         distinct_values(of_arm, [](const LoadedRun& r) { return r.total_steps > 0 ? std::to_string(r.total_steps) : ""; }) +
         "; batch size " +
         distinct_values(of_arm, [](const LoadedRun& r) {
           auto it = r.config.find("data.batch_size");
           return it == r.config.end() ? std::string() : it->second;
         }) +
         "; lr_max chosen by the LR finder " +
         distinct_values(of_arm, [](const LoadedRun& r) { return optional_text(r.meta.lr_max_chosen); }) + ".";
}

void add_settings(Document& doc, const ReportInputs& inputs) {
  const ReportOptions& options = inputs.options;
  const std::string& a = inputs.result.baseline;
  const std::string& b = inputs.result.compared;
  doc.heading(2, "Settings");
  std::vector<std::string> given;
  for (const auto& dir : inputs.run_dirs) given.push_back(dir.string());
  std::vector<std::string> settings = {"Run directories given: " + core::join(given)};
  if (!b.empty()) {
    settings.push_back("Compared: " + b + " against the baseline " + a + "; ratios are " + b + "/" + a +
                       " (below 1: " + b + " flatter), differences " + b + " - " + a + ".");
  }
  settings.push_back("alpha = " + fmt(options.alpha, 3) + ", minimum seeds for a claim = " +
                     std::to_string(options.minimum_seeds) + ", bootstrap: " + std::to_string(kRatioCiResamples) +
                     " resamples of the seeds, " + fmt(100 * kRatioCiLevel, 3) + "% percentile interval, seed " +
                     std::to_string(options.bootstrap_seed) + ".");
  for (const auto& arm : inputs.arms) settings.push_back(arm_settings(arm, inputs.runs));
  doc.list(settings);
}

std::vector<std::string> run_row(const LoadedRun& run) {
  auto probes = probe_trajectory(run);
  const ProbeMeasures* end = end_probe(probes);
  std::string steps = run.meta.steps_done ? std::to_string(*run.meta.steps_done) : "?";
  steps += "/" + (run.total_steps > 0 ? std::to_string(run.total_steps) : std::string("?"));
  std::vector<std::string> notes;
  auto add = [&](const std::string& note) {
    if (!note.empty()) notes.push_back(note);
  };
  add(run.probing_stopped);
  if (run.meta.stop_reason) add(*run.meta.stop_reason);
  if (run.meta.error) add(*run.meta.error);
  for (const auto& note : run.notes) add(note);
  std::string why;
  if (!usable_for_comparison(run, &why)) add("not compared: " + (run.damage.empty() ? why : "damaged"));
  bool show_end = end != nullptr && run.status == "completed" && run.damage.empty();  // a damaged run's end is unknown
  return {run.arm, std::to_string(run.seed), run.status, steps,
          show_end ? fmt(end->lambda_max) : "-", show_end ? fmt(end->trace) : "-",
          show_end ? fmt(end->train_loss) : "-", fmt(last_metric(run, "test_accuracy")),
          run.meta.data && run.meta.data->test_examples > 0 ? std::to_string(run.meta.data->test_examples) : "-",
          core::join(notes, "; "),
          run.dir.string()};
}

void add_runs(Document& doc, const ReportInputs& inputs) {
  doc.heading(2, "Runs");
  doc.paragraph("Every run read, diverged and failed ones included; only completed runs with an end probe enter the "
                "paired comparisons.");
  std::vector<std::vector<std::string>> rows = {{"arm", "seed", "status", "steps", "λmax (end)", "trace (end)",
                                                 "train loss (end probe)", "test accuracy (final)",
                                                 "test examples", "notes", "directory"}};
  for (const LoadedRun* run : inputs.runs) rows.push_back(run_row(*run));
  doc.table(rows);
  if (!inputs.result.skipped.empty()) {
    doc.heading(3, "Skipped directories");
    std::vector<std::string> skipped;
    for (const auto& s : inputs.result.skipped) skipped.push_back("skipped: " + s.dir.string() + ": " + s.reason);
    doc.list(skipped);
  }
}

void add_comparison(Document& doc, const ComparisonTable& table, const std::string& a, const std::string& b) {
  doc.heading(2, "Comparison " + table.aligned.title);
  if (table.aligned.alignment == Alignment::kEqualLoss) {
    doc.paragraph("For each seed: the target is the larger of the two end-probe training losses; each run is taken at "
                  "its first probe with train-probe loss at or below the target.");
  }
  if (table.aligned.pairs.empty()) {
    doc.paragraph("No seed pairs for this comparison.");
  } else {
    doc.paragraph("Flatness measures (" + b + " against " + a + "; Holm across the measures of this table):");
    doc.table(primary_rows(table, a, b));
    doc.list(table.not_compared);
    doc.paragraph("Covariates (descriptive; paired tests on the raw differences):");
    doc.table(covariate_rows(table, a, b));
    std::vector<std::vector<std::string>> pair_rows = {{"seed", a + " step", b + " step", "target loss",
                                                        a + " train loss", b + " train loss"}};
    for (const auto& pair : table.aligned.pairs) {
      pair_rows.push_back({std::to_string(pair.seed), std::to_string(pair.a.step), std::to_string(pair.b.step),
                           fmt(pair.target_loss), fmt(pair.a.train_loss), fmt(pair.b.train_loss)});
    }
    doc.paragraph("Probes used:");
    doc.table(pair_rows);
    std::vector<std::string> relevance;
    for (const auto& r : table.relevance) relevance.push_back(relevance_sentence(r));
    doc.paragraph("Relevance (Kendall tau-b, two-sided p):");
    doc.list(relevance);
  }
  if (!table.aligned.excluded.empty()) {
    doc.paragraph("Seeds left out of this comparison:");
    doc.list(table.aligned.excluded);
  }
}

}  // namespace

Document build_document(const ReportInputs& inputs, const std::vector<Figure>& figures, const std::vector<bool>& rendered) {
  const ReportResult& result = inputs.result;
  const std::string& a = result.baseline;
  const std::string& b = result.compared;
  Document doc;
  doc.heading(1, inputs.options.title.empty()
                     ? (b.empty() ? std::string("Flatness report") : b + " vs " + a + ": flatness at equal budget")
                     : inputs.options.title);
  doc.paragraph("Written by curvtrack report on " + utc_now() + " from " + std::to_string(result.runs.size()) +
                " run(s); " + std::to_string(result.skipped.size()) + " directory(ies) skipped. Protocol: docs/methods.md "
                "section 4 (paired by seed, equal steps and batch size).");
  if (result.primary) {
    doc.heading(2, "Pre-registered primary analysis");
    add_primary_top(doc, *result.primary, forest_plot(*result.primary), result.primary_forest_rendered);
    doc.paragraph("The model fits, the stratified relevance taus and one figure per end measure against the mean "
                  "effective learning rate are in analysis.md (analysis.html); every run's row is in "
                  "tables/analysis_rows.csv. The comparisons below are exploratory.");
  }
  add_verdicts(doc, inputs);
  add_settings(doc, inputs);
  add_runs(doc, inputs);
  for (const auto& table : result.tables) add_comparison(doc, table, a, b);

  doc.heading(2, "Figures");
  if (figures.empty()) doc.paragraph("No figures: no run has data to draw.");
  for (std::size_t i = 0; i < figures.size(); ++i) doc.figure(figures[i].name, figures[i].caption, rendered[i]);

  doc.heading(2, "Files");
  doc.list({"tables/runs.csv: one row per run (status, end measures)",
            "tables/skipped.csv: directories not read, with reasons",
            "tables/end_measures.csv: every run's end-probe measures",
            "tables/comparison.csv: every comparison row (flatness and covariates, all alignments)",
            "tables/pairs.csv: the paired values behind each comparison, one row per seed, arm and measure",
            "tables/relevance.csv: Kendall taus",
            "tables/probe_trajectories.csv: every probe of every run",
            "tables/metrics_trajectories.csv: every metrics.csv row of every run",
            "figures/NAME.dat + NAME.gp: figure data and the gnuplot script that draws NAME.svg and NAME.png"});
  return doc;
}

}  // namespace curvtrack::report
