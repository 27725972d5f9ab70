#pragma once
// `curvtrack spectrum` on a model and probe set: the network and examples loaded, the HVP
// operator over this rank's share, the determinism check, every requested measure, and the
// document that records them with their settings.

#include "curvtrack/curvature/hvp_operator.hpp"
#include "curvtrack/curvature/spectrum.hpp"
#include "curvtrack/ranks/process_group.hpp"
#include "curvtrack/runner/probe_setup.hpp"
#include "curvtrack/runs/spectrum_document.hpp"

namespace curvtrack::runner {

/// What to measure, on what, with which resources.
struct SpectrumRun {
  ProbeSetupOptions setup;            ///< model, weights, data, probe set, dtype, device, seed
  curvature::SpectrumRequest request; ///< measures and budgets
  curvature::HvpOptions hvp;          ///< batch size and graph cache
  int threads = 0;                    ///< intra-op threads (0: this node's cores over its ranks)
  bool quiet = false;                 ///< no progress line on stderr
};

/// Measures the probe-set Hessian of the model over `group`'s ranks (each rank holds a
/// contiguous share of the probe set; products are summed). `on_measure` sees each measure as
/// it completes. Throws core::UsageError for a request the model or the ranks cannot meet.
runs::SpectrumDocument measure_model_spectrum(const SpectrumRun& run, const ranks::ProcessGroup& group,
                                              const curvature::MeasureCallback& on_measure = {});

}  // namespace curvtrack::runner
