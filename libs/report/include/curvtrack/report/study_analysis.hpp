#pragma once
// The pre-registered analysis of a study, read from the study file's [analysis] section, and
// the rows it runs on: one per completed run, with the mean effective learning rate of its
// schedule and its end measures (docs/methods.md section 4.9).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "curvtrack/report/primary_analysis.hpp"
#include "curvtrack/report/run_loader.hpp"

namespace curvtrack::report {

/// The [analysis] section: the plan and how runs become rows.
struct AnalysisSpec {
  AnalysisPlan plan;                            ///< primary measures, smallest effect, alpha, power, resampling
  std::vector<std::string> model_arms;          ///< arms in the primary model (empty: every arm)
  std::vector<std::string> onecycle_arms;       ///< arms coded onecycle = 1
  std::vector<std::string> weight_decay_arms;   ///< arms coded weight decay = 1
  std::vector<std::string> end_records;         ///< record files in each run folder with the end measures
  std::vector<std::string> normalised_blocks;   ///< blocks feeding a BatchNorm (normalised trace)
  std::optional<double> not_trained_loss;       ///< a run whose final train loss is >= this did not train
};

/// Reads the [analysis] section of `study_file`. Throws core::UsageError naming the file, the
/// line and the key for an unknown key, a bad value or a missing section.
AnalysisSpec read_analysis_spec(const std::filesystem::path& study_file);

/// Mean of lr_t / (1 - momentum_t) over the run's schedule (config.ini's [schedule] and
/// meta.json's total_steps). Throws core::DataError naming the run when it cannot be rebuilt.
double mean_effective_lr(const LoadedRun& run);

/// One row per completed run without damage. Its measures (methods §4.9), from the last record
/// of each end-record file: "lambda_max", "trace", "normalised trace" (sum over the normalised
/// blocks of block trace x block weight norm^2), "other-block trace" (sum of the other blocks'
/// traces), "adaptive sharpness rho R" (one per radius R), "epsilon sharpness", "gradient norm",
/// "weight norm", "test accuracy", "test loss"; from the run's own last probe, "train loss" and
/// "train accuracy" on its evaluation set (curvature.test_probe when that is a train split,
/// else the probe set). Runs lacking an end-record file or a measure get
/// a note in `notes` (and fewer measures), never a silent zero. With spec.not_trained_loss, a row
/// whose train loss is at or above it has trained = false.
std::vector<AnalysisRow> analysis_rows(const std::vector<LoadedRun>& runs, const AnalysisSpec& spec,
                                       std::vector<std::string>* notes);

/// The rows as CSV: arm, seed, onecycle, weight_decay, in_model, trained, mean_effective_lr, then one
/// column per measure any row has (empty where a row lacks it), for recomputing every number.
std::string analysis_rows_csv(const std::vector<AnalysisRow>& rows);

}  // namespace curvtrack::report
