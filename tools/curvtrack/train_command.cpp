// curvtrack train: trains a network under a declared learning-rate policy into a run directory
// that describes the run fully, survives being killed and resumes to the same numbers.

#include <boost/program_options.hpp>
#include <cstdio>

#include "command_line.hpp"
#include "commands.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/runner/prepared_run.hpp"
#include "curvtrack/runner/rank_support.hpp"
#include "curvtrack/runner/training.hpp"
#include "curvtrack/runs/meta.hpp"

namespace po = boost::program_options;

namespace curvtrack::tool {

int run_train(const Arguments& arguments) {
  RunCommandOptions command;
  double max_time = 0;
  po::options_description options("curvtrack train options");
  add_run_options(options, command);
  options.add_options()("max-time", po::value(&max_time)->default_value(0),
                        "wall-clock budget in seconds: checkpoint and exit 75 before it ends (0: none)");
  po::variables_map values;
  if (!parse_arguments("train", arguments, options, values)) return 0;
  if (max_time < 0) throw core::UsageError("--max-time must be >= 0 seconds");

  std::unique_ptr<ranks::ProcessGroup> group = runner::join_ranks(command.runtime.dist_timeout);
  if (!group->writes_results()) command.runtime.quiet = true;
  runner::PreparedRun prepared = runner::prepare_run(run_request(command));
  if (prepared.already_completed) {
    if (!command.runtime.quiet) std::fprintf(stderr, "train: %s is already completed\n", prepared.run.root().c_str());
    return 0;
  }
  runner::RunResources resources = runner::load_run_resources(prepared);
  runner::TrainingResult result = runner::train_run(prepared, resources, *group, {max_time, command.runtime.quiet});
  const train::TrainOutcome& outcome = result.outcome;
  if (!command.runtime.quiet) {
    std::fprintf(stderr, "train: %s at step %lld%s%s (%.1fs) -> %s\n", runs::status_name(outcome.status).c_str(),
                 static_cast<long long>(outcome.step), outcome.reason.empty() ? "" : ": ", outcome.reason.c_str(),
                 result.seconds, prepared.run.root().c_str());
  }
  return outcome.status == runs::RunStatus::kPreempted ? static_cast<int>(core::ExitCode::kPreempted) : 0;
}

}  // namespace curvtrack::tool
