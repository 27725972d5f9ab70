#include "primary_document.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/shell.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/report/figures.hpp"
#include "format.hpp"

namespace fs = std::filesystem;

namespace curvtrack::report {
namespace {

std::string interval(const Interval& i) { return "[" + fmt(i.low, 3) + ", " + fmt(i.high, 3) + "]"; }

std::vector<std::vector<std::string>> contrast_rows(const PrimaryAnalysis& analysis) {
  std::vector<std::vector<std::string>> rows = {
      {"measure", "runs", "seeds", "ratio 1cycle/constant", "95% CI", "Holm-level CI", "OLS t p", "Holm p",
       "MDE (ratio)", "residual SD (log)", "df", "singular resamples redrawn", "verdict"}};
  for (const PrimaryContrast& c : analysis.contrasts) {
    rows.push_back({c.measure, std::to_string(c.runs), std::to_string(c.seeds), fmt(c.ratio, 3), interval(c.ci),
                    fmt(100 * c.adjusted_level, 3) + "% " + interval(c.ci_adjusted), fmt_p(c.p_value), fmt_p(c.p_holm),
                    fmt(c.mde_ratio.low, 3) + " / " + fmt(c.mde_ratio.high, 3), fmt(c.fit.sigma, 3),
                    std::to_string(c.fit.residual_df), std::to_string(c.singular_resamples), verdict_text(c.verdict)});
  }
  return rows;
}

std::vector<std::vector<std::string>> coefficient_rows(const PrimaryContrast& c) {
  std::vector<std::vector<std::string>> rows = {{"term", "coefficient (log)", "SE", "exp(coefficient)"}};
  for (std::size_t k = 0; k < c.columns.size(); ++k) {
    const auto i = static_cast<Eigen::Index>(k);
    rows.push_back({c.columns[k], fmt(c.fit.beta(i), 4), fmt(c.fit.se(i), 3), fmt(std::exp(c.fit.beta(i)), 4)});
  }
  return rows;
}

std::vector<std::vector<std::string>> relevance_rows(const PrimaryAnalysis& analysis) {
  std::vector<std::vector<std::string>> rows = {
      {"measure", "stratified tau (mean within arms)", "permutation p", "arms", "within-arm tau (n, p)"}};
  for (const StratifiedRelevance& r : analysis.relevance) {
    std::vector<std::string> within;
    for (std::size_t a = 0; a < r.arms.size(); ++a) {
      within.push_back(r.arms[a] + " " + fmt(r.within[a].statistic, 3) + " (" + std::to_string(r.within[a].n) + ", " +
                       fmt_p(r.within[a].p_value) + ")");
    }
    rows.push_back({r.measure, fmt(r.stratified_tau, 3), fmt_p(r.permutation_p), std::to_string(r.arms.size()),
                    core::join(within, "; ")});
  }
  return rows;
}

std::vector<std::vector<std::string>> not_trained_rows(const PrimaryAnalysis& analysis) {
  std::vector<std::vector<std::string>> rows = {{"arm", "seed", "train loss", "train accuracy", "test accuracy"}};
  auto value = [](const AnalysisRow& row, const std::string& name) {
    auto found = row.measures.find(name);
    return found == row.measures.end() ? std::string("-") : fmt(found->second, 4);
  };
  for (const AnalysisRow& row : analysis.not_trained) {
    rows.push_back({row.arm, std::to_string(row.seed), value(row, "train loss"), value(row, "train accuracy"),
                    value(row, "test accuracy")});
  }
  return rows;
}

// Counts (set sizes, products) as integers, everything else to 3 significant digits.
std::string audit_value(double v) {
  return v == std::floor(v) && std::fabs(v) < 1e15 ? std::to_string(static_cast<long long>(v)) : fmt(v, 3);
}

// One row per error estimate or set size (AnalysisRow::audit), one column per arm: the value when
// every run of the arm has the same, else its range; convergence flags as converged / runs.
std::vector<std::vector<std::string>> audit_rows(const std::vector<AnalysisRow>& rows) {
  std::vector<std::string> arms;
  std::set<std::string> keys;
  for (const AnalysisRow& row : rows) {
    if (std::find(arms.begin(), arms.end(), row.arm) == arms.end()) arms.push_back(row.arm);
    for (const auto& [key, value] : row.audit) keys.insert(key);
  }
  std::vector<std::vector<std::string>> table = {{"error estimate or set size"}};
  for (const std::string& arm : arms) table.front().push_back(arm);
  for (const std::string& key : keys) {
    std::vector<std::string> line = {key};
    for (const std::string& arm : arms) {
      std::vector<double> values;
      for (const AnalysisRow& row : rows) {
        auto found = row.audit.find(key);
        if (row.arm == arm && found != row.audit.end() && std::isfinite(found->second)) values.push_back(found->second);
      }
      if (values.empty()) {
        line.push_back("-");
        continue;
      }
      const auto [low, high] = std::minmax_element(values.begin(), values.end());
      if (key.find("converged") != std::string::npos) {
        const auto yes = std::count_if(values.begin(), values.end(), [](double v) { return v > 0.5; });
        line.push_back(std::to_string(yes) + "/" + std::to_string(values.size()));
      } else {
        line.push_back(*low == *high ? audit_value(*low) : audit_value(*low) + " - " + audit_value(*high));
      }
    }
    table.push_back(line);
  }
  return table;
}

}  // namespace

void add_primary_top(Document& doc, const PrimaryAnalysis& analysis, const AnalysisFigure& forest, bool rendered) {
  doc.figure(forest.name, forest.caption, rendered);
  doc.paragraph(verdict_paragraph(analysis));
}

void add_primary_details(Document& doc, const PrimaryAnalysis& analysis, const std::vector<AnalysisRow>& rows,
                         const std::vector<AnalysisFigure>& figures, const std::vector<bool>& rendered) {
  doc.heading(2, "Primary analysis");
  doc.paragraph("log m ~ 1 + onecycle + log(mean effective LR) + weight decay + seed (fixed effects), ordinary least "
                "squares; CIs: percentile intervals of exp(beta_onecycle) over " + std::to_string(analysis.plan.resamples) +
                " resamples of whole seeds; p: OLS t-test with the residual df; MDE: (t(1-alpha/(2m)) + t(power)) x SE "
                "with the residual df (docs/methods.md section 4.9).");
  doc.table(contrast_rows(analysis));
  if (!analysis.not_trained.empty()) {
    doc.paragraph("Runs that did not train (final training loss at or above the plan's not_trained_loss): a result in "
                  "themselves, left out of the model, the relevance taus and the figures.");
    doc.table(not_trained_rows(analysis));
  }
  for (const PrimaryContrast& c : analysis.contrasts) {
    doc.paragraph("Model terms for " + c.measure + ":");
    doc.table(coefficient_rows(c));
  }
  doc.heading(2, "Error estimates and set sizes");
  doc.paragraph("Per arm, over the runs that trained: the value when every run has the same, else the range; "
                "convergence flags as converged / runs. Set sizes are numbers of examples (the accuracy named "
                "'test accuracy' uses 'test examples'). Every run's values are in tables/analysis_rows.csv.");
  doc.table(audit_rows(rows));
  doc.heading(2, "Relevance (exploratory)");
  doc.paragraph("Kendall tau-b of each end measure with " + analysis.plan.accuracy + " within each arm; stratified over "
                "arms as the mean of the within-arm taus, with a permutation test (" +
                std::to_string(analysis.plan.permutations) + " permutations within arms). Arms are never pooled.");
  doc.table(relevance_rows(analysis));
  doc.heading(2, "End measures against the mean effective learning rate");
  for (std::size_t i = 1; i < figures.size(); ++i) doc.figure(figures[i].name, figures[i].caption, rendered[i]);
}

PrimaryAnalysis write_primary_analysis(const std::vector<AnalysisRow>& rows, const AnalysisPlan& plan, const fs::path& out,
                                       bool render, std::vector<std::string>* warnings) {
  PrimaryAnalysis analysis = primary_analysis(rows, plan);
  std::vector<std::string> measures;
  for (const StratifiedRelevance& r : analysis.relevance) measures.push_back(r.measure);
  const std::vector<AnalysisFigure> figures = analysis_figures(trained_rows(rows), analysis, measures);
  const fs::path figures_dir = out / "figures";
  fs::create_directories(figures_dir);
  const bool can_render = render && core::on_path("gnuplot");
  if (render && !can_render && warnings) warnings->push_back("gnuplot not found: wrote .dat and .gp files only");
  std::vector<bool> rendered(figures.size(), false);
  for (std::size_t i = 0; i < figures.size(); ++i) {
    core::write_file_atomically(figures_dir / (figures[i].name + ".dat"), figures[i].data);
    core::write_file_atomically(figures_dir / (figures[i].name + ".gp"), figures[i].script);
    if (!can_render) continue;
    auto warning = render_figure(figures_dir, figures[i].name);
    if (warning && warnings) warnings->push_back(*warning);
    rendered[i] = !warning;
  }
  Document doc;
  doc.heading(1, "Primary analysis");
  add_primary_top(doc, analysis, figures.front(), rendered.front());
  add_primary_details(doc, analysis, trained_rows(rows), figures, rendered);
  core::write_file_atomically(out / "analysis.html", to_html(doc, "Primary analysis", figures_dir));
  core::write_file_atomically(out / "analysis.md", to_markdown(doc));
  return analysis;
}

}  // namespace curvtrack::report
