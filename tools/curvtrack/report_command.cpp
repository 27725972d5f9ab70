// curvtrack report: run directories (or study roots) in, the flat-minimum comparison out
// (report.md, self-contained report.html, figures/, tables/). Torch-free: the work is in
// libs/report.

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/report/report_writer.hpp"

namespace po = boost::program_options;

namespace curvtrack::tool {

int run_report(const Arguments& arguments) {
  std::vector<std::string> run_dirs;
  std::string out, title, compare, analysis;
  report::ReportOptions options;
  bool quiet = false, no_render = false;
  po::options_description visible("curvtrack report RUN_DIR... --out DIR");
  visible.add_options()
      ("out", po::value(&out), "output folder (replaced if it holds an earlier report)")
      ("alpha", po::value(&options.alpha)->default_value(0.05), "significance level (Holm-adjusted)")
      ("min-seeds", po::value(&options.minimum_seeds)->default_value(8), "fewer pairs: no claim is made")
      ("title", po::value(&title), "report title")
      ("compare", po::value(&compare), "A,B: baseline arm A and compared arm B, ratios B/A "
                                       "(default: constant,onecycle if present, else the first two alphabetically)")
      ("analysis", po::value(&analysis), "study file whose [analysis] section is the pre-registered plan: the report "
                                          "opens with its forest plot and verdict")
      ("bootstrap-seed", po::value(&options.bootstrap_seed)->default_value(0), "seed of the bootstrap CIs")
      ("no-render", po::bool_switch(&no_render), "write figure .dat/.gp files without running gnuplot")
      ("quiet", po::bool_switch(&quiet), "print nothing but errors");
  po::options_description all(visible);
  all.add_options()("run-dir", po::value(&run_dirs), "run directory or study root")("help,h", "show this help");
  po::positional_options_description positional;
  positional.add("run-dir", -1);
  po::variables_map values;
  try {
    po::store(po::command_line_parser(arguments).options(all).positional(positional).run(), values);
    if (values.count("help") != 0U) {
      std::cout << "usage: curvtrack report RUN_DIR... --out DIR [options]\n"
                << "  RUN_DIR: a run directory (holds meta.json) or a folder searched for them\n"
                << visible;
      return 0;
    }
    po::notify(values);
  } catch (const po::unknown_option& error) {
    std::vector<std::string> names;
    for (const auto& option : visible.options()) names.push_back("--" + option->long_name());
    throw core::UsageError("unknown option " + error.get_option_name() + " for curvtrack report; did you mean " +
                           core::nearest(error.get_option_name(), names) + "?");
  } catch (const po::error& error) {
    throw core::UsageError(std::string(error.what()) + " (curvtrack report --help lists the options)");
  }
  if (run_dirs.empty()) throw core::UsageError("curvtrack report needs at least one run directory or study root");
  if (out.empty()) throw core::UsageError("curvtrack report needs --out DIR");
  options.out = out;
  options.title = title;
  options.render = !no_render;
  options.analysis = analysis;
  if (!compare.empty()) {
    auto arms = core::split(compare, ',');
    if (arms.size() != 2 || core::trim(arms[0]).empty() || core::trim(arms[1]).empty()) {
      throw core::UsageError("--compare '" + compare + "' is not of the form A,B (two arm names)");
    }
    options.baseline = core::trim(arms[0]);
    options.compared = core::trim(arms[1]);
  }
  std::vector<std::filesystem::path> paths(run_dirs.begin(), run_dirs.end());
  report::ReportResult result;
  try {
    result = report::write_report(paths, options);
  } catch (const core::DataError&) {
    throw;
  } catch (const std::invalid_argument& error) {
    throw core::UsageError(error.what());
  }
  for (const auto& skipped : result.skipped) {
    std::fprintf(stderr, "curvtrack report: skipped: %s: %s\n", skipped.dir.c_str(), skipped.reason.c_str());
  }
  for (const auto& warning : result.warnings) {
    std::fprintf(stderr, "curvtrack report: warning: %s\n", core::one_line(warning).c_str());
  }
  if (!quiet) {
    std::fprintf(stderr, "curvtrack report: %zu run(s) read, %zu skipped\n", result.runs.size(), result.skipped.size());
    for (const auto& sentence : result.verdicts) std::printf("%s\n", sentence.c_str());
    std::printf("report: %s\n", (result.directory / "report.md").c_str());
  }
  // The report is written even when nothing could be read; the exit code says so.
  return result.runs.empty() ? static_cast<int>(core::ExitCode::kData) : 0;
}

}  // namespace curvtrack::tool
