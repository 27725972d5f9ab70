#pragma once
// Turning a run config into a ready run: the run directory (new or resumed), the resolved
// config, data, model, optimizer and schedule, and the meta.json bookkeeping.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "curvtrack/core/config.hpp"
#include "curvtrack/data/dataset.hpp"
#include "curvtrack/models/network.hpp"
#include "curvtrack/runner/run_options.hpp"
#include "curvtrack/runs/meta.hpp"
#include "curvtrack/runs/run_directory.hpp"
#include "curvtrack/schedules/schedule.hpp"
#include "curvtrack/train/optimizer.hpp"
#include "curvtrack/train/trainer.hpp"
#include "curvtrack/runner/lr_finder_outputs.hpp"

namespace curvtrack::runner {

/// What a command asks of a run: its config, its directory, and how to treat one in use.
struct RunRequest {
  std::string config_file;               ///< INI run config (empty: none)
  std::vector<std::string> assignments;  ///< section.key=value overrides, in order
  std::string run_dir;                   ///< empty: runs/<run.name or run>-seed<run.seed>
  bool resume = false;                   ///< continue a run already in run_dir
  int threads = 0;                       ///< intra-op threads; 0: train.threads (0 there: all cores)
  bool quiet = false;                    ///< no summaries on stderr
};

/// A run directory and its resolved config, before anything heavy is loaded.
struct PreparedRun {
  core::Config config;                       ///< the resolved config, as config.ini records it
  runner::RunOptions options;                ///< the same config as typed, checked fields
  runs::RunDirectory run;
  std::optional<std::int64_t> resume_step;  ///< checkpoint to continue from
  bool already_completed = false;
  int threads = 1;
  bool quiet = false;                        ///< --quiet: no summaries on stderr
};

/// Resolves the config (file, then --set) and checks it against a run directory being resumed.
/// Throws core::UsageError naming what is wrong. Writes nothing.
PreparedRun prepare_run(const RunRequest& request);

/// What a run trains with.
struct RunResources {
  data::Dataset train;
  data::Dataset test;
  std::unique_ptr<models::Network> network;
  std::unique_ptr<train::Optimizer> optimizer;
  std::unique_ptr<schedules::Schedule> schedule;
  train::TrainerOptions trainer;
  std::string device;
  std::optional<LrFinderRecord> lr_finder;  ///< schedule.lr_max = auto, range test run now: begin_meta writes it
  std::optional<double> lr_max_chosen;      ///< schedule.lr_max = auto: the value in force (found now or recorded)
};

/// Whether load_run_resources builds the schedule (train) or stops before it (lrfind needs
/// neither a schedule nor train.steps/train.epochs).
enum class ScheduleNeed { kBuild, kNone };

/// Loads data and model and builds optimizer and (unless ScheduleNeed::kNone) schedule from the
/// resolved config. With schedule.lr_max = auto, lr_max is the LR range test's choice under
/// train.lrfind_rule, or, when the run directory already has lrfind.json (a resumed run), the
/// choice recorded there, so that a resumed run trains exactly as before.
RunResources load_run_resources(const PreparedRun& prepared, ScheduleNeed schedule = ScheduleNeed::kBuild);

}  // namespace curvtrack::runner
