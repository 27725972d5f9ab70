#pragma once
// The order the report lists arms and runs in: preferred arms first (ReportOptions::arm_order),
// then the others alphabetically; within an arm, by seed.

#include <string>
#include <vector>

#include "curvtrack/report/run_loader.hpp"

namespace curvtrack::report {

/// Each arm once: those in `preferred` first, in its order, then the others alphabetically.
std::vector<std::string> ranked_arms(std::vector<std::string> arms, const std::vector<std::string>& preferred);

/// The arms of `runs`, ranked_arms order.
std::vector<std::string> arms_of(const std::vector<LoadedRun>& runs, const std::vector<std::string>& preferred);

/// The runs ordered by their arm's place in `arms`, then by seed.
std::vector<const LoadedRun*> sorted_runs(const std::vector<LoadedRun>& runs, const std::vector<std::string>& arms);

/// The last finite value of metrics.csv column `column`; NaN when there is none.
double last_metric(const LoadedRun& run, const char* column);

}  // namespace curvtrack::report
