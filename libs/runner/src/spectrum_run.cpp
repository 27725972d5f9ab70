#include "curvtrack/runner/spectrum_run.hpp"

#include <torch/version.h>

#include <Eigen/Core>
#include <Spectra/Util/Version.h>
#include <chrono>
#include <cstdio>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/progress.hpp"
#include "curvtrack/core/shares.hpp"
#include "curvtrack/runner/devices.hpp"
#include "curvtrack/runner/progress_operator.hpp"
#include "curvtrack/runner/rank_support.hpp"

namespace curvtrack::runner {
namespace {

std::string version_string(int major, int minor, int patch) {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace

runs::SpectrumDocument measure_model_spectrum(const SpectrumRun& run, const ranks::ProcessGroup& group,
                                              const curvature::MeasureCallback& on_measure) {
  auto start = std::chrono::steady_clock::now();
  int threads = apply_threads(run.threads);
  ProbeSetup setup = load_probe_setup(run.setup);
  const std::int64_t parameters = models::parameter_count(*setup.network);
  curvature::check_request(run.request, parameters);
  const std::int64_t examples = setup.probe.images.size(0);
  if (examples < group.ranks()) {
    throw core::UsageError("--probe " + run.setup.probe + ": " + std::to_string(examples) +
                           " examples cannot be split over " + std::to_string(group.ranks()) + " ranks");
  }
  if (!run.quiet) {
    std::fprintf(stderr, "spectrum: %s, %lld parameters, %lld probe examples, %s, %d threads x %d ranks\n",
                 run.setup.model.c_str(), static_cast<long long>(parameters), static_cast<long long>(examples),
                 run.setup.dtype.c_str(), threads, group.ranks());
  }
  core::Share share = core::share_of(examples, group.rank(), group.ranks());
  curvature::HvpOptions hvp = run.hvp;
  hvp.total_examples = examples;
  hvp.sum_over_ranks = sum_over(group);
  curvature::HvpOperator op(*setup.network, setup.probe.images.slice(0, share.begin, share.end),
                            setup.probe.labels.slice(0, share.begin, share.end), hvp);
  runs::SpectrumDocument document;
  document.determinism.max_abs_difference = curvature::determinism_gap(op, run.request.seed + 3);

  core::Progress progress("spectrum", 0, run.quiet);
  ProgressOperator<curvature::HvpOperator> observed(op, progress);
  curvature::SpectrumMeasures measures = curvature::measure_spectrum(
      observed, run.request, [&](const std::string& measure, const curvature::SpectrumMeasures& so_far) {
        progress.finish("HVPs");
        if (on_measure) on_measure(measure, so_far);
      });

  document.curvtrack_version = CURVTRACK_VERSION;
  document.git_revision = CURVTRACK_GIT_REVISION;
  document.settings = setup.settings;
  document.settings["threads"] = threads;
  document.settings["hvp_batch_size"] = hvp.batch_size;
  document.settings["graph_cache"] = hvp.cache_graph;
  document.settings["seed"] = run.request.seed;
  document.settings["ranks"] = {{"count", group.ranks()}, {"backend", group.backend()},
                                {"launcher", group.environment().source},
                                {"split", "probe set in contiguous shares; products summed over ranks"}};
  document.settings["hessian"] = "mean cross-entropy over the probe set, no weight decay, exact double-backward HVP";
  document.settings["libraries"] = {
      {"libtorch", TORCH_VERSION},
      {"eigen", version_string(EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION)},
      {"spectra", version_string(SPECTRA_MAJOR_VERSION, SPECTRA_MINOR_VERSION, SPECTRA_PATCH_VERSION)}};
  document.probe_loss = op.loss();
  document.probe_gradient_norm = op.gradient().norm();
  document.total_hvps = op.products();
  document.top = std::move(measures.top);
  document.bottom = std::move(measures.bottom);
  document.trace = std::move(measures.trace);
  document.esd = std::move(measures.esd);
  document.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return document;
}

}  // namespace curvtrack::runner
