#pragma once
// The LR range test as curvtrack lrfind and `schedule.lr_max = auto` both run and record it:
// options from a run config, lrfind.csv/.json/.gp(+.png/.svg), the stderr summary, and the
// recorded choice a resumed run reuses.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "curvtrack/core/config.hpp"
#include "curvtrack/schedules/schedule.hpp"
#include "curvtrack/train/lr_finder.hpp"

namespace curvtrack::runner {

struct PreparedRun;
struct RunResources;

/// One range test with what it ran on.
struct LrFinderRecord {
  train::LrFinderOptions options;
  train::LrFinderResult result;
  nlohmann::json context;  ///< model, data, batch plan, optimizer, seed and resolved config
};

/// Default finder options for a run's [schedule] keys: the sweep's fixed momentum is the
/// schedule's momentum at step 0 (onecycle: mom_max), or LrFinderOptions' default when no
/// schedule.policy is given. Throws core::UsageError for a bad [schedule] section.
train::LrFinderOptions lr_finder_options(schedules::ScheduleKeys keys);

/// The validation split of a linear range test: `count` training images chosen by a seeded
/// shuffle (data::epoch_order(size, seed ^ kValidationSalt, 0), its first `count` positions),
/// and the rest, both in ascending index order. Throws core::UsageError naming
/// train.lrfind_validation unless 0 < count < size.
struct ValidationSplit {
  std::vector<std::int64_t> validation;  ///< held-out training indices, ascending
  std::vector<std::int64_t> rest;        ///< the indices the sweep trains on, ascending
};
ValidationSplit validation_split(std::int64_t size, std::int64_t count, std::uint64_t seed);
inline constexpr std::uint64_t kValidationSalt = 0x6c7266696e642d76ULL;  // "lrfind-v"

/// Runs the finder on a run's network, optimizer and training batches (batch plan, augmentation
/// and seed of the run); the network and optimizer are unchanged. Exp mode sweeps the run's own
/// batches; linear mode holds out train.lrfind_validation training images (validation_split),
/// sweeps the rest and judges on all the held-out ones: the test split is never used. Throws
/// core::UsageError for bad options, rule or validation size.
LrFinderRecord run_lr_finder_for(const PreparedRun& prepared, RunResources& resources,
                                 train::LrFinderOptions options, const std::string& rule);

/// Writes lrfind.csv, lrfind.json and lrfind.gp into `dir` (which must exist), then renders
/// lrfind.png and lrfind.svg with gnuplot. Returns warnings (gnuplot missing or failing), which
/// are not errors. Throws std::runtime_error naming the file when writing fails.
std::vector<std::string> write_lr_finder_outputs(const std::filesystem::path& dir, const LrFinderRecord& record);

/// A few lines for stderr: how the sweep ended, the three suggestions and the choice.
std::string lr_finder_summary(const LrFinderRecord& record);

/// The lr chosen by an exp-mode range test recorded in `json_file` (lrfind.json) under `rule`.
/// Throws core::DataError naming the file when it is unreadable, was made with another rule or
/// mode, or holds no finite choice.
double recorded_lr_choice(const std::filesystem::path& json_file, const std::string& rule);

/// `value` with 17 significant digits ("nan", "inf", "-inf" for the others): parses back exactly.
std::string exact_number(double value);

/// File names the finder writes into a directory.
inline constexpr const char* kLrFinderCsv = "lrfind.csv";
inline constexpr const char* kLrFinderJson = "lrfind.json";

}  // namespace curvtrack::runner
