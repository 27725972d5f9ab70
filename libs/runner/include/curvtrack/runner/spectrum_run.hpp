#pragma once
// `curvtrack spectrum` on a model and probe set: the network and examples loaded, the HVP
// operator over this rank's share, the determinism check, every requested measure, and the
// document that records them with their settings.

#include "curvtrack/curvature/curvature_operator.hpp"
#include "curvtrack/curvature/parameter_blocks.hpp"
#include "curvtrack/curvature/spectrum.hpp"
#include "curvtrack/ranks/process_group.hpp"
#include "curvtrack/runner/probe_setup.hpp"
#include "curvtrack/runs/spectrum_document.hpp"

namespace curvtrack::runner {

/// What to measure, on what, with which resources.
struct SpectrumRun {
  ProbeSetupOptions setup;            ///< model, weights, data, probe set, dtype, device, seed
  curvature::SpectrumRequest request; ///< measures and budgets
  curvature::OperatorOptions op;           ///< matrix, loss, batch size and graph cache (parameters: from parameter_globs)
  std::vector<std::string> parameter_globs;  ///< parameters analysed (empty: all)
  curvature::BlockMode blocks = curvature::BlockMode::kNone;  ///< per-block measures
  int probe_draws = 0;                     ///< lambda_max on this many random probe sets of the same size (0: none)
  std::string save_eigenvectors;           ///< folder for top.npy, bottom.npy and layout.json (empty: none)
  int threads = 0;                    ///< intra-op threads (0: this node's cores over its ranks)
  bool quiet = false;                 ///< no progress line on stderr
};

/// Measures the probe-set curvature matrix of the model over `group`'s ranks (each rank holds a
/// contiguous share of the probe set; products are summed). `on_measure` sees each measure as
/// it completes. Throws core::UsageError for a request the model or the ranks cannot meet.
runs::SpectrumDocument measure_model_spectrum(const SpectrumRun& run, const ranks::ProcessGroup& group,
                                              const curvature::MeasureCallback& on_measure = {});

}  // namespace curvtrack::runner
