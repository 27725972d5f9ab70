#pragma once
// Run directories written by hand (config.ini, meta.json, metrics.csv, curvature.jsonl) with
// known curvature, for the report tests: no training, no torch.

#include <cstdint>
#include <filesystem>
#include <string>

namespace curvtrack::testing {

/// One synthetic run; the curvature and losses follow simple closed forms of the step.
struct SyntheticRun {
  std::string arm = "constant";     ///< run.name
  std::int64_t seed = 0;            ///< run.seed
  std::string status = "completed"; ///< meta.json status; "diverged" stops at step 40
  std::int64_t total_steps = 100;   ///< probes at 0, 45, 50 and the end
  double lambda_end = 10;           ///< λmax at the end (grows linearly from half of it)
  double trace_end = 100;           ///< trace at the end (same shape)
  double sharpness_end = 0.1;       ///< adaptive sharpness at the end (NaN: not measured)
  double final_loss = 0.2;          ///< train-probe loss at the end (falls linearly from 2.3)
  double test_accuracy = 0.9;       ///< test-probe accuracy at every probe
  bool lrfind = false;              ///< also write lrfind.csv
};

/// Writes `run` into `dir` (created).
void write_synthetic_run(const std::filesystem::path& dir, const SyntheticRun& run);

/// Deterministic noise in [-scale, scale] for (seed, stream).
double synthetic_noise(std::int64_t seed, int stream, double scale);

/// A study under `root`/ARM/seed-N: arms constant and onecycle, seeds 0..seeds-1. constant's
/// λmax is 10 e^noise; onecycle's is lambda_ratio times it, times e^{±0.02} alternating by seed
/// (so lambda_ratio = 1 plants no difference). trace and sharpness: the same with their ratios.
/// Test accuracy falls with λmax, so Kendall tau(λmax, accuracy) across runs is -1.
void write_study(const std::filesystem::path& root, int seeds, double lambda_ratio, double trace_ratio = 1.0,
                 double sharpness_ratio = 1.0);

}  // namespace curvtrack::testing
