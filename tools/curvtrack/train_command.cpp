// curvtrack train: trains a network under a declared learning-rate policy into a run directory
// that describes the run fully, survives being killed and resumes to the same numbers.

#include <ATen/ATen.h>
#include <torch/version.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>

#include "command_line.hpp"
#include "commands.hpp"
#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/signals.hpp"
#include "curvtrack/runs/meta.hpp"
#include "curvtrack/runs/metrics_table.hpp"
#include "curvtrack/train/checkpoint.hpp"
#include "curvtrack/train/trainer.hpp"
#include "probe_callback.hpp"
#include "ranks.hpp"
#include "run_setup.hpp"

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

  std::unique_ptr<dist::ProcessGroup> ranks = join_ranks(command.runtime);
  if (!ranks->writes_results()) command.runtime.quiet = true;
  PreparedRun prepared = prepare_run(command);
  if (prepared.already_completed) {
    if (!command.runtime.quiet) std::fprintf(stderr, "train: %s is already completed\n", prepared.run.root().c_str());
    return 0;
  }
  RunResources resources = load_run_resources(prepared);

  train::TrainerState state;
  if (prepared.resume_step) {
    state = train::load_checkpoint(prepared.run.checkpoint(*prepared.resume_step), *resources.network,
                                   resources.optimizer.get());
    if (!command.runtime.quiet) std::fprintf(stderr, "train: resuming %s at step %lld\n", prepared.run.root().c_str(),
                                             static_cast<long long>(state.step));
  }
  // Everything that can be checked is checked before the run directory is written.
  std::unique_ptr<RunProbe> run_probe;
  if (probing_enabled(prepared.config)) {
    run_probe = std::make_unique<RunProbe>(prepared, resources);
    run_probe->probe().split_products(ranks->rank(), ranks->ranks(), sum_over(*ranks));
  }
  // Every rank has read the run directory before rank 0 writes to it; the other ranks keep
  // their (identical) bookkeeping in a private folder that is removed when they end.
  check_batch_split(resources.trainer, ranks->ranks());
  ranks->barrier();
  std::optional<ScratchRunDirectory> scratch;
  if (!ranks->writes_results()) {
    scratch.emplace(ranks->rank());
    prepared.run = scratch->run();
    prepared.resume_step.reset();
  }

  runs::RunMeta meta(prepared.run.meta());
  begin_meta(meta, prepared, resources);
  meta.data()["ranks"] = {{"count", ranks->ranks()}, {"backend", ranks->backend()},
                          {"launcher", ranks->environment().source},
                          {"split", "each batch in contiguous shares over the ranks; gradients summed"}};
  meta.save();
  train::TrainOutcome outcome;
  std::unique_ptr<ProbeCallback> probes;
  auto start = std::chrono::steady_clock::now();
  try {
    // A run resumed without a good checkpoint restarts at step 0: what its killed process
    // wrote is cut, not kept twice.
    const std::int64_t kept_before = prepared.resume_step.value_or(0);
    runs::MetricsTable metrics(prepared.run.metrics(), train::metrics_columns(), kept_before);
    std::vector<train::Callback*> callbacks;
    if (run_probe) {
      probes = std::make_unique<ProbeCallback>(std::move(run_probe), prepared.run, kept_before);
      callbacks.push_back(probes.get());
    }
    core::install_signal_handlers();
    train::TrainerOptions trainer = resources.trainer;
    trainer.max_seconds = max_time;
    trainer.quiet = command.runtime.quiet;
    trainer.parallel = {ranks->rank(), ranks->ranks(), sum_over(*ranks)};
    train::TrainingSetup setup{*resources.network, *resources.optimizer, *resources.schedule,
                               resources.train, resources.test, prepared.run, meta};
    outcome = train::train(setup, metrics, state, trainer, callbacks);
  } catch (const std::exception& error) {
    meta.data()["status"] = runs::status::kFailed;
    meta.data()["error"] = core::one_line(error.what());
    meta.data()["ended"] = runs::utc_now();
    try {
      meta.save();
    } catch (const std::exception&) {
      // (a full disk, say) the original error is the one to report
    }
    throw;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  end_meta(meta, outcome, seconds, probes ? probes->seconds() : 0.0);
  if (!command.runtime.quiet) {
    std::fprintf(stderr, "train: %s at step %lld%s%s (%.1fs) -> %s\n", outcome.status.c_str(),
                 static_cast<long long>(outcome.step), outcome.reason.empty() ? "" : ": ", outcome.reason.c_str(),
                 seconds, prepared.run.root().c_str());
  }
  return outcome.status == runs::status::kPreempted ? static_cast<int>(core::ExitCode::kPreempted) : 0;
}

}  // namespace curvtrack::tool
