// curvtrack spectrum: top/bottom eigenvalues, trace and spectral density of the probe-set
// Hessian of a model, written as one JSON document.

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <Eigen/Core>
#include <Spectra/Util/Version.h>
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "command_line.hpp"
#include "commands.hpp"
#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/progress.hpp"
#include "curvtrack/core/shares.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/curvature/hvp_operator.hpp"
#include "curvtrack/curvature/spectrum.hpp"
#include "curvtrack/runner/devices.hpp"
#include "curvtrack/runner/offline_probes.hpp"
#include "curvtrack/runner/probe_setup.hpp"
#include "progress_operator.hpp"
#include "curvtrack/runner/rank_support.hpp"

namespace po = boost::program_options;

namespace curvtrack::tool {
namespace {

// "hutchpp:100" -> method and samples; "none" -> no trace.
void parse_trace(const std::string& text, curvature::SpectrumRequest& request) {
  if (text == "none") return;
  auto fields = core::split(text, ':');
  const auto& names = curvature::trace_method_names();
  const std::vector<std::string> known = names.names();
  if (fields.size() != 2 || fields[0] == "none" || std::find(known.begin(), known.end(), fields[0]) == known.end()) {
    throw core::UsageError("--trace '" + text + "' is not of the form hutchinson:N, hutchpp:N or none");
  }
  request.trace = names.parse(fields[0], "--trace");
  request.trace_samples = static_cast<int>(core::parse_int(fields[1], "--trace samples"));
}

linalg::EigenMethod parse_eigensolver(const std::string& text) {
  if (text == "lanczos") return linalg::EigenMethod::kLanczos;
  if (text == "restarted") return linalg::EigenMethod::kRestarted;
  throw core::UsageError("--eigensolver '" + text + "' is not one of lanczos, restarted");
}

std::string version_string(int major, int minor, int patch) {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

void print_summary(const std::string& measure, const nlohmann::json& result) {
  if (measure == "top" || measure == "bottom") {
    std::string values;
    for (const auto& value : result["values"]) values += " " + std::to_string(value.get<double>());
    double worst = 0;
    for (const auto& residual : result["relative_residuals"]) worst = std::max(worst, residual.get<double>());
    std::fprintf(stderr, "%-7s%s  (max relative residual %.1e, %lld HVPs, %.2fs%s)\n", measure.c_str(),
                 values.c_str(), worst, static_cast<long long>(result["hvps"].get<std::int64_t>()),
                 result["seconds"].get<double>(), result["converged"].get<bool>() ? "" : ", NOT CONVERGED");
    if (!result["converged"].get<bool>()) {
      std::fprintf(stderr, "        %s\n", result["status"].get<std::string>().c_str());
    }
  } else if (measure == "trace") {
    std::fprintf(stderr, "trace   %.6g +- %.2g SE  (%s, %lld HVPs, %.2fs)\n", result["value"].get<double>(),
                 result["standard_error"].get<double>(), result["method"].get<std::string>().c_str(),
                 static_cast<long long>(result["hvps"].get<std::int64_t>()), result["seconds"].get<double>());
  } else if (measure == "esd") {
    std::fprintf(stderr, "esd     %d steps x %d runs, sigma %.2g, SLQ trace %.6g +- %.2g  (%lld HVPs, %.2fs)\n",
                 result["steps"].get<int>(), result["runs"].get<int>(), result["sigma"].get<double>(),
                 result["trace_estimate"].get<double>(), result["trace_standard_error"].get<double>(),
                 static_cast<long long>(result["hvps"].get<std::int64_t>()), result["seconds"].get<double>());
  }
}

}  // namespace

int run_spectrum(const Arguments& arguments) {
  runner::ProbeSetupOptions setup_options;
  RuntimeOptions runtime;
  curvature::SpectrumRequest request;
  curvature::HvpOptions hvp_options;
  std::string trace = "hutchpp:100", esd = "80x10", out = "-";
  bool no_graph_cache = false;
  std::string run_dir, checkpoints, eigensolver = "lanczos";
  po::options_description options("curvtrack spectrum options");
  options.add_options()
      ("model", po::value(&setup_options.model), "TorchScript file (.pt) or native spec (mlp:784-64-10:tanh)")
      ("weights", po::value(&setup_options.weights), "weights file for a native spec")
      ("data", po::value(&setup_options.data)->default_value(setup_options.data), "fashion-mnist | mnist:DIR | kmnist:DIR | fashion-mnist:DIR")
      ("probe", po::value(&setup_options.probe)->default_value(setup_options.probe), "SPLIT:first:N | SPLIT:random:N:SEED | SPLIT:all (SPLIT train|test)")
      ("dtype", po::value(&setup_options.dtype)->default_value(setup_options.dtype), "float32 | float64")
      ("top-k", po::value(&request.top_k)->default_value(5), "largest eigenvalues (0: none)")
      ("bottom-k", po::value(&request.bottom_k)->default_value(0), "smallest eigenvalues (0: none)")
      ("trace", po::value(&trace)->default_value(trace), "hutchpp:N | hutchinson:N | none")
      ("esd", po::value(&esd)->default_value(esd), "STEPSxRUNS for the spectral density | none")
      ("tol", po::value(&request.tol)->default_value(0.0, "auto"),
       "eigen-solver relative tolerance on the true residuals (auto: 1e-10 in float64, 1e-5 in float32, "
       "whose products round at 1e-7..1e-6 of the largest eigenvalue)")
      ("max-hvps", po::value(&request.max_hvps)->default_value(0), "HVP budget per eigen-solve (0: unlimited)")
      ("eigensolver", po::value(&eigensolver)->default_value(eigensolver),
       "lanczos (unrestarted, fewest HVPs, 16 bytes per parameter per step) | restarted (Spectra, least memory)")
      ("seed", po::value(&request.seed)->default_value(0), "seed of every random vector (and of a native model's init)")
      ("batch-size", po::value(&hvp_options.batch_size)->default_value(1024), "probe examples per HVP batch")
      ("no-graph-cache", po::bool_switch(&no_graph_cache), "recompute each batch's gradient graph per HVP (less memory)")
      ("out", po::value(&out)->default_value(out), "output JSON file (- for stdout)")
      ("run", po::value(&run_dir), "probe a run's saved checkpoints with its [curvature] settings (offline)")
      ("checkpoints", po::value(&checkpoints)->default_value("all"), "with --run: all | every:N | S1,S2,...");
  add_runtime_options(options, runtime);
  po::variables_map values;
  if (!parse_arguments("spectrum", arguments, options, values)) return 0;
  if (!run_dir.empty()) {
    runner::OfflineProbeSummary summary =
        runner::probe_checkpoints({run_dir, checkpoints, runtime.threads, runtime.quiet});
    if (!runtime.quiet) {
      std::fprintf(stderr, "spectrum --run: %lld new records, %lld already present -> %s\n",
                   static_cast<long long>(summary.added), static_cast<long long>(summary.already_present),
                   summary.curvature.c_str());
    }
    return 0;
  }
  parse_trace(trace, request);
  curvature::parse_density_shape(esd, "--esd", request.esd_steps, request.esd_runs);
  request.eigen_method = parse_eigensolver(eigensolver);
  if (values["tol"].defaulted()) request.tol = setup_options.dtype == "float32" ? 1e-5 : 1e-10;
  hvp_options.cache_graph = !no_graph_cache;
  setup_options.device = runtime.device;
  setup_options.seed = request.seed;
  if (out != "-") {
    auto folder = std::filesystem::absolute(out).parent_path();
    if (!std::filesystem::is_directory(folder)) {
      throw core::UsageError("--out " + out + ": " + folder.string() +
                             (std::filesystem::exists(folder) ? " is not a folder" : " does not exist"));
    }
    core::check_output_file(out);  // before the work: only a regular file is ever replaced
  }

  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<ranks::ProcessGroup> ranks = runner::join_ranks(runtime.dist_timeout);
  // Every rank runs the same solvers on the same products; only rank 0 reports and writes.
  if (!ranks->writes_results()) runtime.quiet = true;
  int threads = runner::apply_threads(runtime.threads);
  runner::ProbeSetup setup = runner::load_probe_setup(setup_options);
  curvature::check_request(request, models::parameter_count(*setup.network));
  const std::int64_t examples = setup.probe.images.size(0);
  if (examples < ranks->ranks()) {
    throw core::UsageError("--probe " + setup_options.probe + ": " + std::to_string(examples) + " examples cannot be split over " +
                           std::to_string(ranks->ranks()) + " ranks");
  }
  if (!runtime.quiet) {
    std::fprintf(stderr, "spectrum: %s, %lld parameters, %lld probe examples, %s, %d threads x %d ranks\n",
                 setup_options.model.c_str(), static_cast<long long>(models::parameter_count(*setup.network)),
                 static_cast<long long>(examples), setup_options.dtype.c_str(), threads, ranks->ranks());
  }
  core::Share share = core::share_of(examples, ranks->rank(), ranks->ranks());
  hvp_options.total_examples = examples;
  hvp_options.sum_over_ranks = runner::sum_over(*ranks);
  curvature::HvpOperator op(*setup.network, setup.probe.images.slice(0, share.begin, share.end),
                            setup.probe.labels.slice(0, share.begin, share.end), hvp_options);
  double gap = curvature::determinism_gap(op, request.seed + 3);

  core::Progress progress("spectrum", 0, runtime.quiet);
  ProgressOperator<curvature::HvpOperator> observed(op, progress);
  nlohmann::json measures = curvature::measure_spectrum(
      observed, request, [&](const std::string& measure, const nlohmann::json& result) {
        if (!runtime.quiet) {
          progress.finish("HVPs");
          print_summary(measure, result);
        }
      });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  nlohmann::json document = {
      {"tool", "curvtrack spectrum"},
      {"curvtrack_version", CURVTRACK_VERSION},
      {"git_revision", CURVTRACK_GIT_REVISION},
      {"settings", setup.settings},
      {"probe_loss", op.loss()},
      {"probe_gradient_norm", op.gradient().norm()},
      {"determinism", {{"max_abs_difference", gap}, {"hvps", 2}, {"identical", gap == 0.0}}},
      {"total_hvps", op.products()},
      {"total_seconds", seconds}};
  document["settings"]["threads"] = threads;
  document["settings"]["hvp_batch_size"] = hvp_options.batch_size;
  document["settings"]["graph_cache"] = hvp_options.cache_graph;
  document["settings"]["seed"] = request.seed;
  document["settings"]["ranks"] = {{"count", ranks->ranks()}, {"backend", ranks->backend()},
                                   {"launcher", ranks->environment().source},
                                   {"split", "probe set in contiguous shares; products summed over ranks"}};
  document["settings"]["hessian"] = "mean cross-entropy over the probe set, no weight decay, exact double-backward HVP";
  document["settings"]["libraries"] = {{"libtorch", TORCH_VERSION},
                                       {"eigen", version_string(EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION)},
                                       {"spectra", version_string(SPECTRA_MAJOR_VERSION, SPECTRA_MINOR_VERSION, SPECTRA_PATCH_VERSION)}};
  document.update(measures);
  if (!ranks->writes_results()) return 0;
  std::string text = document.dump(2) + "\n";
  if (out == "-") {
    std::cout << text;
  } else {
    core::write_file_atomically(out, text);
  }
  if (!runtime.quiet) {
    std::fprintf(stderr, "probe loss %.6g, gradient norm %.3g, determinism gap %.1g; %lld HVPs in %.1fs%s%s\n",
                 op.loss(), op.gradient().norm(), gap, static_cast<long long>(op.products()), seconds,
                 out == "-" ? "" : " -> ", out == "-" ? "" : out.c_str());
  }
  return 0;
}

}  // namespace curvtrack::tool
