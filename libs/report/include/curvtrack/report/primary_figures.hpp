#pragma once
// Figures of the primary analysis, as gnuplot sees them (NAME.dat + NAME.gp rendering NAME.svg
// and NAME.png, like figures.hpp): the forest plot of every pre-registered contrast, and one
// figure per end measure against the mean effective learning rate.

#include <filesystem>
#include <string>
#include <vector>

#include "curvtrack/report/primary_analysis.hpp"

namespace curvtrack::report {

/// One analysis figure: its file stem, caption and the two files' text.
struct AnalysisFigure {
  std::string name;     ///< file stem
  std::string caption;  ///< one sentence for the report
  std::string data;     ///< NAME.dat
  std::string script;   ///< NAME.gp
};

/// Forest plot "primary_forest": per primary contrast the ratio with its 95% CI (thick) and the
/// Holm-level CI (thin) on a log x axis, a line at 1, the smallest-effect band [s, 1/s] shaded,
/// and dashed ticks at the minimum detectable effect exp(+-MDE).
AnalysisFigure forest_plot(const PrimaryAnalysis& analysis);

/// Per-arm summary of one measure against the mean effective LR (geometric means; CI of the
/// measure: Student t on the logs over the arm's runs, exponentiated; n = 1: the value itself).
struct ArmPoint {
  std::string arm;           ///< arm name
  bool onecycle = false;     ///< 1cycle arm
  bool weight_decay = false; ///< weight-decay arm
  std::int64_t n = 0;        ///< runs with a positive value
  double lr = 0.0;           ///< geometric mean of the mean effective LR
  double mean = 0.0;         ///< geometric mean of the measure
  Interval ci;               ///< 95% CI of the geometric mean
};

/// The arms' points for `measure`, in the arms' first-appearance order (runs without a finite
/// positive value, or with a non-positive LR, are left out; arms without any are dropped).
std::vector<ArmPoint> arm_points(const std::vector<AnalysisRow>& rows, const std::string& measure);

/// Figure "measure_vs_lr_<stem>": log-log; constant-rate arms without weight decay as a curve
/// with its CI band, 1cycle arms as points with CIs, weight-decay arms with their own marker,
/// every run as a faint dot.
AnalysisFigure measure_against_lr(const std::vector<AnalysisRow>& rows, const std::string& measure);

/// The forest plot, then one measure figure per measure in `measures`.
std::vector<AnalysisFigure> analysis_figures(const std::vector<AnalysisRow>& rows, const PrimaryAnalysis& analysis,
                                             const std::vector<std::string>& measures);

/// A file stem from a measure name: letters and digits kept, everything else '_'.
std::string figure_stem(const std::string& measure);

/// Writes the analysis of `rows` under `plan` into the folder `out` (created): analysis.md and
/// analysis.html (the forest plot and the verdict paragraph first, then the contrast and relevance
/// tables, then the measure figures) and figures/NAME.{dat,gp[,svg,png]}. `render`: run gnuplot
/// when it is on the path. Returns the analysis; `warnings` gets figures that did not render.
PrimaryAnalysis write_primary_analysis(const std::vector<AnalysisRow>& rows, const AnalysisPlan& plan,
                                       const std::filesystem::path& out, bool render, std::vector<std::string>* warnings);

}  // namespace curvtrack::report
