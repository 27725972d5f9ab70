#pragma once
// The report's text: title, verdicts, settings, the runs, one section per comparison, the
// figures and the list of files, as a Document for report.md and report.html.

#include <filesystem>
#include <string>
#include <vector>

#include "curvtrack/report/figures.hpp"
#include "curvtrack/report/report_writer.hpp"
#include "document.hpp"

namespace curvtrack::report {

/// What the report's text is written from.
struct ReportInputs {
  const ReportOptions& options;                        ///< as given
  const std::vector<std::filesystem::path>& run_dirs;  ///< as given
  const std::vector<std::string>& arms;                ///< every arm read, in report order
  const std::vector<const LoadedRun*>& runs;           ///< every run read, in report order
  const ReportResult& result;                          ///< the comparisons
};

/// The whole report; `rendered[i]`: figures[i] has an SVG. The first block is the title heading.
Document build_document(const ReportInputs& inputs, const std::vector<Figure>& figures, const std::vector<bool>& rendered);

}  // namespace curvtrack::report
