#pragma once
// `curvtrack report`: run directories in, a comparison report out (report.md, a self-contained
// report.html with the figures inlined, figures/ as .dat + .gp + .svg + .png, tables/*.csv).
// Everything is written into a hidden staging folder next to the output and renamed into place
// at the end, so an output folder either holds a complete report or the previous one.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "curvtrack/report/comparison.hpp"
#include "curvtrack/report/primary_analysis.hpp"
#include "curvtrack/report/run_loader.hpp"

namespace curvtrack::report {

/// What the report compares and how.
struct ReportOptions {
  std::filesystem::path out;         ///< output folder (created or replaced)
  double alpha = 0.05;               ///< significance level of the verdicts (Holm-adjusted)
  std::int64_t minimum_seeds = 8;    ///< fewer pairs than this: "not enough seeds for a claim"
  std::string title;                 ///< report title; empty: "<b> vs <a>: flatness at equal budget"
  std::string baseline;              ///< arm a (ratios are compared / baseline); empty: default_arms
  std::string compared;              ///< arm b; empty: default_arms
  /// Arms ranked first, in this order (default pair, tables, figure colours); the others follow alphabetically.
  /// The default names the two arms of the study this tool was written for: the constant rate, then 1cycle.
  std::vector<std::string> arm_order = {"constant", "onecycle"};
  std::uint64_t bootstrap_seed = 0;  ///< seeds the bootstrap CIs (deterministic reports)
  bool render = true;                ///< run gnuplot (false: write .dat and .gp only)
  /// A study file whose [analysis] section holds the pre-registered plan: the report then opens
  /// with its forest plot and verdict, and analysis.md has the details (empty: no plan).
  std::filesystem::path analysis;
  /// Throws std::invalid_argument naming the bad option.
  void check() const;
};

/// What was written and concluded.
struct ReportResult {
  std::filesystem::path directory;        ///< the output folder
  std::string baseline;                   ///< arm a
  std::string compared;                   ///< arm b
  std::vector<LoadedRun> runs;            ///< runs read
  std::vector<SkippedRun> skipped;        ///< directories not read, with reasons
  std::vector<ComparisonTable> tables;    ///< end, peak, equal loss (empty with fewer than two arms)
  std::vector<std::string> verdicts;      ///< one sentence per hypothesis, primary (end) first
  std::vector<std::string> warnings;      ///< figures not rendered and the like
  std::optional<PrimaryAnalysis> primary; ///< the pre-registered analysis, with options.analysis
  bool primary_forest_rendered = false;   ///< its forest plot has an SVG
};

/// The two arms compared by default: the first two of `arms` ranked by `preferred`, then alphabetically
/// (baseline first). Fewer than two arms: empty.
std::pair<std::string, std::string> default_arms(std::vector<std::string> arms,
                                                 const std::vector<std::string>& preferred = ReportOptions().arm_order);

/// Loads `run_dirs` (load_runs), compares, draws and writes the report into options.out.
/// Throws std::invalid_argument for bad options or an arm named in options that no run has,
/// std::runtime_error naming the path when the output cannot be written or options.out exists
/// and is neither empty nor a previous report (it is never deleted then).
ReportResult write_report(const std::vector<std::filesystem::path>& run_dirs, const ReportOptions& options);

}  // namespace curvtrack::report
