#pragma once
// Turning a run config into a ready run: the run directory (new or resumed), the resolved
// config, data, model, optimizer and schedule, and the meta.json bookkeeping.

#include <boost/program_options/options_description.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "curvtrack/core/config.hpp"
#include "curvtrack/data/dataset.hpp"
#include "curvtrack/models/network.hpp"
#include "curvtrack/runs/meta.hpp"
#include "curvtrack/runs/run_directory.hpp"
#include "curvtrack/schedules/schedule.hpp"
#include "curvtrack/train/optimizer.hpp"
#include "curvtrack/train/trainer.hpp"
#include "lrfind_output.hpp"

namespace curvtrack::tool {

/// Command-line options of commands that run a config (train, lrfind).
struct RunCommandOptions {
  std::string config_file;
  std::vector<std::string> assignments;  ///< --set section.key=value
  std::string run_dir;
  std::string resume = "never";          ///< never | auto
  RuntimeOptions runtime;
};

/// Adds --config, --set, --run-dir, --resume and the runtime options.
void add_run_options(boost::program_options::options_description& options, RunCommandOptions& command);

/// A run directory and its resolved config, before anything heavy is loaded.
struct PreparedRun {
  core::Config config;
  runs::RunDirectory run;
  std::optional<std::int64_t> resume_step;  ///< checkpoint to continue from
  bool already_completed = false;
  int threads = 1;
  bool quiet = false;                        ///< --quiet: no summaries on stderr
};

/// Resolves the config (file, then --set) and checks it against a run directory being resumed.
/// Throws core::UsageError naming what is wrong. Writes nothing.
PreparedRun prepare_run(const RunCommandOptions& command);

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

/// Creates the run directory, writes config.ini (and the range test's files when load_run_resources
/// ran it) and records the start of a (possibly resumed) process in meta.json.
void begin_meta(runs::RunMeta& meta, const PreparedRun& prepared, const RunResources& resources);

/// Records how the process ended, with its training and probing seconds added to the totals.
void end_meta(runs::RunMeta& meta, const train::TrainOutcome& outcome, double train_seconds, double probe_seconds);

}  // namespace curvtrack::tool
