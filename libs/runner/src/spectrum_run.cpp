#include "curvtrack/runner/spectrum_run.hpp"

#include <torch/version.h>

#include <Eigen/Core>
#include <Spectra/Util/Version.h>
#include <chrono>
#include <cstdio>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/process_time.hpp"
#include "curvtrack/core/progress.hpp"
#include "curvtrack/core/shares.hpp"
#include "curvtrack/curvature/block_measures.hpp"
#include "curvtrack/curvature/subspace.hpp"
#include "curvtrack/data/probe.hpp"
#include "curvtrack/report/statistics.hpp"
#include "curvtrack/runner/devices.hpp"
#include "curvtrack/runner/eigenvector_files.hpp"
#include "curvtrack/runner/progress_operator.hpp"
#include "curvtrack/runner/rank_support.hpp"

namespace curvtrack::runner {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string version_string(int major, int minor, int patch) {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

// This rank's share of `set`, with the operator options that sum products over the ranks.
struct SharedSet {
  at::Tensor inputs;
  at::Tensor targets;
  curvature::OperatorOptions options;
};

SharedSet shared_set(const data::Dataset& set, const curvature::OperatorOptions& options,
                     const ranks::ProcessGroup& group) {
  const std::int64_t examples = set.images.size(0);
  core::Share share = core::share_of(examples, group.rank(), group.ranks());
  SharedSet out{set.images.slice(0, share.begin, share.end), set.labels.slice(0, share.begin, share.end), options};
  out.options.total_examples = examples;
  out.options.sum_over_ranks = sum_over(group);
  return out;
}

// lambda_max on `draws` random probe sets of `examples` examples each from `pool`; draw m uses
// the seed request.seed + 1000 + m.
runs::ProbeDrawsRecord measure_probe_draws(models::Network& network, const data::Dataset& pool, std::int64_t examples,
                                           int draws, const curvature::OperatorOptions& options,
                                           const curvature::SpectrumRequest& request, const ranks::ProcessGroup& group) {
  auto start = std::chrono::steady_clock::now();
  runs::ProbeDrawsRecord record;
  record.draws = draws;
  record.examples = examples;
  curvature::SpectrumRequest top_only = curvature::solver_settings(request);
  top_only.top_k = 1;
  for (int m = 0; m < draws; ++m) {
    data::ProbeSpec spec{data::Split::kTrain, data::ProbeSpec::Kind::kRandom, examples,
                         request.seed + 1000 + static_cast<std::uint64_t>(m), ""};
    data::Dataset draw = data::subset(pool, data::probe_indices(spec, pool.images.size(0)));
    SharedSet shared = shared_set(draw, options, group);
    curvature::CurvatureOperator op(network, shared.inputs, shared.targets, shared.options);
    curvature::SpectrumMeasures measures = curvature::measure_spectrum(op, top_only);
    record.seeds.push_back(spec.seed);
    record.values.push_back(measures.top->values.front());
    record.converged.push_back(measures.top->converged);
    record.hvps += op.products();
  }
  const report::Summary summary = report::summarize(record.values);
  record.mean = summary.mean;
  record.sd = summary.sd;
  record.min = summary.min;
  record.max = summary.max;
  record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return record;
}

}  // namespace

runs::SpectrumDocument measure_model_spectrum(const SpectrumRun& run, const ranks::ProcessGroup& group,
                                              const curvature::MeasureCallback& on_measure) {
  auto start = std::chrono::steady_clock::now();
  nlohmann::json phases = {{"start", core::seconds_since_process_start()}};
  int threads = apply_threads(run.threads);
  ProbeSetupOptions setup_options = run.setup;
  setup_options.whole_split = run.probe_draws > 0;  // only probe draws need more than the probe set
  ProbeSetup setup = load_probe_setup(setup_options);
  phases["data"] = setup.data_seconds;
  phases["model"] = setup.model_seconds;
  curvature::OperatorOptions options = run.op;
  models::check_targets(options.loss, setup.probe.labels, setup.probe.num_classes, "--data " + run.setup.data);
  options.parameters = curvature::select_parameters(setup.network->parameter_names(), run.parameter_globs, "--params");
  if (options.parameters.size() == setup.network->parameters().size()) options.parameters.clear();
  const std::int64_t parameters = curvature::selected_size(*setup.network, options.parameters);
  curvature::check_request(run.request, parameters);
  if (run.probe_draws < 0) throw core::UsageError("--probe-draws must be >= 0, got " + std::to_string(run.probe_draws));
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
  auto phase_start = std::chrono::steady_clock::now();
  SharedSet shared = shared_set(setup.probe, options, group);
  curvature::CurvatureOperator op(*setup.network, shared.inputs, shared.targets, shared.options);
  phases["operator"] = seconds_since(phase_start);
  runs::SpectrumDocument document;
  phase_start = std::chrono::steady_clock::now();
  document.determinism.max_abs_difference = curvature::determinism_gap(op, run.request.seed + 3);
  phases["determinism_check"] = seconds_since(phase_start);

  core::Progress progress("spectrum", 0, run.quiet);
  ProgressOperator<curvature::CurvatureOperator> observed(op, progress);
  curvature::SpectrumRequest request = run.request;
  std::vector<curvature::ParameterBlock> blocks;
  if (run.blocks != curvature::BlockMode::kNone) {
    blocks = curvature::network_blocks(*setup.network, options.parameters, run.blocks);
    request.trace_blocks = curvature::coordinate_blocks(*setup.network, options.parameters, blocks);
  }
  curvature::SpectrumVectors solved;
  curvature::SpectrumMeasures measures = curvature::measure_spectrum(
      observed, request,
      [&](const std::string& measure, const curvature::SpectrumMeasures& so_far) {
        progress.finish("HVPs");
        if (on_measure) on_measure(measure, so_far);
      },
      &solved);
  if (run.request.top_k > 0) document.subspace = curvature::subspace_record(solved.top.vectors, op.gradient(), {});
  std::int64_t products = op.products();
  if (run.blocks != curvature::BlockMode::kNone) {
    document.blocks = curvature::measure_blocks(*setup.network, shared.inputs, shared.targets, shared.options, blocks,
                                                request, measures.block_traces);
    for (const auto& [name, block] : document.blocks) products += block.top ? block.top->hvps : 0;
  }
  if (run.probe_draws > 0) {
    document.probe_draws = measure_probe_draws(*setup.network, setup.pool, examples, run.probe_draws, options,
                                               run.request, group);
    products += document.probe_draws->hvps;
  }
  const nlohmann::json operator_json = curvature::operator_settings(options, run.parameter_globs, run.blocks, parameters);
  if (!run.save_eigenvectors.empty() && group.writes_results()) {
    save_eigenvectors(run.save_eigenvectors, solved, *setup.network, options.parameters, operator_json);
  }

  document.curvtrack_version = CURVTRACK_VERSION;
  document.git_revision = CURVTRACK_GIT_REVISION;
  document.settings = setup.settings;
  document.settings["threads"] = threads;
  document.settings["hvp_batch_size"] = options.batch_size;
  document.settings["graph_cache"] = options.cache_graph;
  document.settings["seed"] = run.request.seed;
  document.settings["ranks"] = {{"count", group.ranks()}, {"backend", group.backend()},
                                {"launcher", group.environment().source},
                                {"split", "probe set in contiguous shares; products summed over ranks"}};
  document.settings["operator"] = operator_json;
  document.settings["libraries"] = {
      {"libtorch", TORCH_VERSION},
      {"eigen", version_string(EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION)},
      {"spectra", version_string(SPECTRA_MAJOR_VERSION, SPECTRA_MINOR_VERSION, SPECTRA_PATCH_VERSION)}};
  document.probe_loss = op.loss();
  document.probe_gradient_norm = op.gradient().norm();
  document.total_hvps = products;
  document.top = std::move(measures.top);
  document.bottom = std::move(measures.bottom);
  document.trace = std::move(measures.trace);
  document.esd = std::move(measures.esd);
  if (document.top) phases["top"] = document.top->seconds;
  if (document.bottom) phases["bottom"] = document.bottom->seconds;
  if (document.trace) phases["trace"] = document.trace->seconds;
  if (document.esd) phases["esd"] = document.esd->seconds;
  document.phase_seconds = std::move(phases);
  document.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return document;
}

}  // namespace curvtrack::runner
