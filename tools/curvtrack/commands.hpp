#pragma once
// One function per subcommand; each takes the arguments after the subcommand name and
// returns the process exit code (errors are thrown and mapped to exit codes by main).

#include <string>
#include <vector>

namespace curvtrack::tool {

using Arguments = std::vector<std::string>;

/// `curvtrack spectrum`: curvature of a model on a probe set, as one JSON document.
int run_spectrum(const Arguments& arguments);
/// `curvtrack bench`: HVP versus gradient cost and solver HVP counts, side by side.
int run_bench(const Arguments& arguments);
/// `curvtrack schedule`: learning rate and momentum per optimizer step, as CSV.
int run_schedule(const Arguments& arguments);
/// `curvtrack train`: trains into a run directory; resumable, signal-safe.
int run_train(const Arguments& arguments);
/// `curvtrack lrfind`: the LR range test on a run config -> lrfind.csv, .json and a figure.
int run_lrfind(const Arguments& arguments);
/// `curvtrack sweep`: runs a study (arms x seeds) on a local process pool or as a Slurm array job.
int run_sweep(const Arguments& arguments);
/// `curvtrack config`: every run-config key (--list), or a resolved and checked config as INI.
int run_config(const Arguments& arguments);
/// `curvtrack report`: the flat-minimum comparison of run directories -> report.md/.html, figures, tables.
int run_report(const Arguments& arguments);

}  // namespace curvtrack::tool
