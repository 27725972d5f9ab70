#pragma once
// The report's figures, built from the runs: curvature, stability, schedule, loss, accuracy and
// weight-norm trajectories, the spectral densities at the LR peak and the end, and the LR range tests.

#include <string>
#include <vector>

#include "curvtrack/report/figures.hpp"
#include "curvtrack/report/run_loader.hpp"

namespace curvtrack::report {

/// Every figure with data to draw, in report order; `arms` sets the colours, `compared` names the
/// arm whose LR peak fixes the step of the peak spectral density.
std::vector<Figure> build_figures(const std::vector<const LoadedRun*>& runs, const std::vector<std::string>& arms,
                                  const std::string& compared);

}  // namespace curvtrack::report
