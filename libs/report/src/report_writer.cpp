#include "curvtrack/report/report_writer.hpp"

#include <algorithm>
#include <stdexcept>
#include <tuple>

#include "arms.hpp"
#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/shell.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/report/primary_figures.hpp"
#include "curvtrack/report/study_analysis.hpp"
#include "figure_set.hpp"
#include "format.hpp"
#include "output_folder.hpp"
#include "report_document.hpp"
#include "tables.hpp"

namespace fs = std::filesystem;

namespace curvtrack::report {
namespace {

// The arms named in options, else the default pair; an arm no run has is an error naming the arms read.
std::pair<std::string, std::string> chosen_arms(const ReportOptions& options, const std::vector<std::string>& arms) {
  if (options.baseline.empty()) return default_arms(arms, options.arm_order);
  for (const std::string* arm : {&options.baseline, &options.compared}) {
    if (std::find(arms.begin(), arms.end(), *arm) == arms.end()) {
      throw std::invalid_argument("--compare: no run of arm '" + *arm + "' was read (arms: " +
                                  (arms.empty() ? "none" : core::join(arms)) + ")");
    }
  }
  return {options.baseline, options.compared};
}

// Writes each figure's .dat and .gp into `dir` and renders them when asked; returns which were rendered.
std::vector<bool> write_figures(const fs::path& dir, const std::vector<Figure>& figures, bool render,
                                std::vector<std::string>& warnings) {
  std::vector<bool> rendered(figures.size(), false);
  const bool can_render = render && core::on_path("gnuplot");
  if (render && !can_render && !figures.empty()) {
    warnings.push_back("gnuplot not found: wrote the figures' .dat and .gp files without rendering them");
  }
  for (std::size_t i = 0; i < figures.size(); ++i) {
    core::write_file_atomically(dir / (figures[i].name + ".dat"), figure_data(figures[i]));
    core::write_file_atomically(dir / (figures[i].name + ".gp"), figure_script(figures[i]));
    if (!can_render) continue;
    if (auto warning = render_figure(dir, figures[i].name)) {
      warnings.push_back(*warning);
    } else {
      rendered[i] = true;
    }
  }
  return rendered;
}

}  // namespace

void ReportOptions::check() const {
  if (out.empty()) throw std::invalid_argument("--out is required");
  if (!(alpha > 0 && alpha < 1)) throw std::invalid_argument("--alpha must be in (0, 1), got " + fmt(alpha));
  if (minimum_seeds < 2) throw std::invalid_argument("--min-seeds must be >= 2, got " + std::to_string(minimum_seeds));
  if (baseline.empty() != compared.empty()) throw std::invalid_argument("--compare needs two arms, A,B");
  if (!baseline.empty() && baseline == compared) throw std::invalid_argument("--compare needs two different arms");
}

std::pair<std::string, std::string> default_arms(std::vector<std::string> arms, const std::vector<std::string>& preferred) {
  arms = ranked_arms(std::move(arms), preferred);
  if (arms.size() < 2) return {};
  return {arms[0], arms[1]};
}

ReportResult write_report(const std::vector<fs::path>& run_dirs, const ReportOptions& options) {
  options.check();
  fs::path out = fs::absolute(options.out).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();
  std::error_code link_error;
  if (fs::is_symlink(out, link_error)) {  // the folder it names is replaced, never the link by a folder
    std::error_code error;
    if (!fs::is_directory(out, error)) {
      throw core::UsageError("--out " + out.string() + " is a symbolic link to " + fs::read_symlink(out, error).string() +
                             ", which is not a folder");
    }
    out = fs::canonical(out, error);
  }
  check_replaceable(out);

  ReportResult result;
  result.directory = out;
  RunSet set = load_runs(run_dirs);
  result.runs = std::move(set.runs);
  result.skipped = std::move(set.skipped);
  for (const auto& run : result.runs) {
    for (const auto& damage : run.damage) {
      result.warnings.push_back(run.dir.string() + ": damaged: " + damage + "; left out of the comparisons");
    }
  }
  const std::vector<std::string> arms = arms_of(result.runs, options.arm_order);
  std::tie(result.baseline, result.compared) = chosen_arms(options, arms);
  if (!result.compared.empty()) {
    result.tables = compare_arms(result.runs, result.baseline, result.compared, options.alpha, options.minimum_seeds,
                                 options.bootstrap_seed);
    for (const auto& table : result.tables) {
      for (const auto& sentence : table.verdicts) result.verdicts.push_back(sentence);
    }
  }

  std::optional<AnalysisSpec> spec;
  std::vector<AnalysisRow> rows;
  if (!options.analysis.empty()) {
    spec = read_analysis_spec(options.analysis);
    rows = analysis_rows(result.runs, *spec, &result.warnings);
  }

  const std::vector<const LoadedRun*> runs = sorted_runs(result.runs, arms);
  Staging staging(out);
  if (spec) {
    result.primary = write_primary_analysis(rows, spec->plan, staging.path(), options.render, &result.warnings);
    result.primary_forest_rendered = fs::exists(staging.path() / "figures" / "primary_forest.svg");
    core::write_file_atomically(staging.path() / "tables" / "analysis_rows.csv", analysis_rows_csv(rows));
  }
  const fs::path figures_dir = staging.path() / "figures";
  const std::vector<Figure> figures = build_figures(runs, arms, result.compared);
  const std::vector<bool> rendered = write_figures(figures_dir, figures, options.render, result.warnings);
  write_tables(staging.path() / "tables", result, runs);
  const Document document = build_document({options, run_dirs, arms, runs, result}, figures, rendered);
  const std::string& title = document.blocks().front().text;
  core::write_file_atomically(staging.path() / "report.html", to_html(document, title, figures_dir));
  // report.md last: its presence marks a complete report.
  core::write_file_atomically(staging.path() / "report.md", to_markdown(document));
  move_into_place(staging.path(), out);
  staging.committed();
  return result;
}

}  // namespace curvtrack::report
