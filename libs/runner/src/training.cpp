#include "curvtrack/runner/training.hpp"

#include <ATen/ATen.h>
#include <torch/version.h>

#include <chrono>
#include <cstdio>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/signals.hpp"
#include "curvtrack/runner/lr_finder_outputs.hpp"
#include "curvtrack/runner/probe_callback.hpp"
#include "curvtrack/runner/rank_support.hpp"
#include "curvtrack/runs/meta.hpp"
#include "curvtrack/runs/metrics_table.hpp"
#include "curvtrack/train/checkpoint.hpp"

namespace curvtrack::runner {
namespace {

// Creates the run directory, writes config.ini (and the range test's files when it ran now) and
// records the start of a (possibly resumed) process in meta.json.
void begin_meta(runs::RunMeta& meta, const PreparedRun& prepared, const RunResources& resources) {
  // Only a config that loaded and checked completely gets a run directory.
  prepared.run.create();
  core::write_file_atomically(prepared.run.config(), prepared.config.to_ini());
  if (resources.lr_finder) {
    for (const auto& warning : write_lr_finder_outputs(prepared.run.root(), *resources.lr_finder)) {
      if (!prepared.quiet) std::fprintf(stderr, "train: warning: %s\n", warning.c_str());
    }
    if (!prepared.quiet) std::fputs(lr_finder_summary(*resources.lr_finder).c_str(), stderr);
  }
  runs::MetaRecord& record = meta.record();
  if (resources.lr_max_chosen) {
    record.lr_max_chosen = *resources.lr_max_chosen;
    record.lrfind_rule = prepared.options.train.lrfind_rule;
  }
  if (!record.created) record.created = runs::utc_now();
  record.status = runs::RunStatus::kRunning;
  record.started = runs::utc_now();
  record.processes += 1;
  // What the last process said of its end no longer holds for this one.
  record.ended.reset();
  record.stop_reason.reset();
  record.error.reset();
  record.git_revision = CURVTRACK_GIT_REVISION;
  record.curvtrack_version = CURVTRACK_VERSION;
  record.libtorch = TORCH_VERSION;
  record.threads = prepared.threads;
  record.device = resources.device;
  record.environment = runs::environment_info();
  record.run_name = prepared.options.run.name;
  record.run_seed = static_cast<std::int64_t>(prepared.options.run.seed);
  record.total_steps = resources.schedule->total_steps();
  record.schedule = resources.schedule->describe();
  record.optimizer = resources.optimizer->describe();
  record.model = runs::ModelInfo{resources.network->describe(), models::parameter_count(*resources.network)};
  record.data = runs::DataInfo{resources.train.source, resources.train.images.size(0), resources.test.images.size(0)};
  if (prepared.resume_step) record.resumed_from_step = *prepared.resume_step;
  meta.save();
}

// Records how the process ended, with its training and probing seconds added to the totals.
// `step_graph_seconds` (within train_seconds, not probe_seconds) is recorded as training.
void end_meta(runs::RunMeta& meta, const train::TrainOutcome& outcome, double train_seconds, double probe_seconds,
              double step_graph_seconds) {
  runs::MetaRecord& record = meta.record();
  record.status = outcome.status;
  record.steps_done = outcome.step;
  record.ended = runs::utc_now();
  if (!outcome.reason.empty()) record.stop_reason = outcome.reason;
  double training = record.train_seconds.value_or(0.0) + train_seconds - probe_seconds;
  double probing = record.probe_seconds.value_or(0.0) + probe_seconds;
  record.train_seconds = training;
  record.probe_seconds = probing;
  record.probe_over_train = training > 0 ? probing / training : 0.0;
  if (step_graph_seconds > 0 || record.step_graph_seconds) {
    record.step_graph_seconds = record.step_graph_seconds.value_or(0.0) + step_graph_seconds;
  }
  meta.save();
}

}  // namespace

TrainingResult train_run(PreparedRun& prepared, RunResources& resources, const ranks::ProcessGroup& group,
                         const TrainingRequest& request) {
  train::TrainerState state;
  if (prepared.resume_step) {
    state = train::load_checkpoint(prepared.run.checkpoint(*prepared.resume_step), *resources.network,
                                   resources.optimizer.get());
    if (!request.quiet) std::fprintf(stderr, "train: resuming %s at step %lld\n", prepared.run.root().c_str(),
                                     static_cast<long long>(state.step));
  }
  // Everything that can be checked is checked before the run directory is written.
  std::unique_ptr<RunProbe> run_probe;
  if (prepared.options.curvature.enabled()) {
    run_probe = std::make_unique<RunProbe>(prepared, resources);
    run_probe->probe().split_products(group.rank(), group.ranks(), sum_over(group));
  }
  // Every rank has read the run directory before rank 0 writes to it; the other ranks keep
  // their (identical) bookkeeping in a private folder that is removed when they end.
  check_batch_split(resources.trainer, group.ranks());
  group.barrier();
  std::optional<ScratchRunDirectory> scratch;
  if (!group.writes_results()) {
    scratch.emplace(group.rank());
    prepared.run = scratch->run();
    prepared.resume_step.reset();
  }

  runs::RunMeta meta(prepared.run.meta());
  begin_meta(meta, prepared, resources);
  meta.record().ranks = runs::RanksInfo{group.ranks(), group.backend(), group.environment().source,
                                        "each batch in contiguous shares over the ranks; gradients summed"};
  meta.save();
  TrainingResult result;
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
    trainer.max_seconds = request.max_seconds;
    trainer.quiet = request.quiet;
    trainer.parallel = {group.rank(), group.ranks(), sum_over(group)};
    train::TrainingSetup setup{*resources.network, *resources.optimizer, *resources.schedule,
                               resources.train, resources.test, prepared.run, meta};
    result.outcome = train::train(setup, metrics, state, trainer, callbacks);
  } catch (const std::exception& error) {
    meta.record().status = runs::RunStatus::kFailed;
    meta.record().error = models::error_message(error);  // one line, no LibTorch backtrace
    meta.record().ended = runs::utc_now();
    try {
      meta.save();
    } catch (const std::exception&) {
      // (a full disk, say) the original error is the one to report
    }
    throw;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  end_meta(meta, result.outcome, result.seconds, probes ? probes->seconds() : 0.0,
           probes ? probes->step_graph_seconds() : 0.0);
  return result;
}

}  // namespace curvtrack::runner
