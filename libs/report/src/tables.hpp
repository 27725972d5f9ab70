#pragma once
// tables/*.csv: tidy CSV of the runs, the skipped directories, every probe and metrics row, and
// every comparison, pair and Kendall tau, with full precision numbers.

#include <filesystem>
#include <vector>

#include "curvtrack/report/report_writer.hpp"

namespace curvtrack::report {

/// Writes runs, skipped, end_measures, probe_trajectories, metrics_trajectories, comparison, pairs
/// and relevance .csv into `dir` (which must exist); `runs` in report order.
void write_tables(const std::filesystem::path& dir, const ReportResult& result, const std::vector<const LoadedRun*>& runs);

}  // namespace curvtrack::report
