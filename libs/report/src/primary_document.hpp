#pragma once
// The primary analysis as report blocks: forest plot and verdict paragraph first (before any
// table), then the contrast and relevance tables and the measure figures.

#include <string>
#include <vector>

#include "curvtrack/report/primary_figures.hpp"
#include "document.hpp"

namespace curvtrack::report {

/// Adds the forest plot (figures[0]) and the verdict paragraph: the top of a report.
void add_primary_top(Document& doc, const PrimaryAnalysis& analysis, const AnalysisFigure& forest, bool rendered);

/// Adds the tables of the analysis (model fit per measure, the error estimates and set sizes of
/// `rows` per arm, stratified relevance) and the figures after the forest plot (figures[1..]).
void add_primary_details(Document& doc, const PrimaryAnalysis& analysis, const std::vector<AnalysisRow>& rows,
                         const std::vector<AnalysisFigure>& figures, const std::vector<bool>& rendered);

}  // namespace curvtrack::report
