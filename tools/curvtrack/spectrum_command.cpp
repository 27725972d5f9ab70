// curvtrack spectrum: top/bottom eigenvalues, trace and spectral density of the probe-set
// Hessian of a model, written as one JSON document.

#include <torch/csrc/jit/python/update_graph_executor_opt.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "command_line.hpp"
#include "commands.hpp"
#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/runner/offline_probes.hpp"
#include "curvtrack/runner/probe_setup.hpp"
#include "curvtrack/runner/rank_support.hpp"
#include "curvtrack/runner/spectrum_run.hpp"

namespace po = boost::program_options;

namespace curvtrack::tool {
namespace {

// The product cap of METHOD:auto:REL without :MAX.
constexpr int kAutoTraceCap = 1000;

// "hutchpp:100" -> method and samples; "hutchpp:auto:0.01[:MAX]" -> stop at a relative standard
// error of 0.01, at most MAX (default 1000) products; "none" -> no trace.
void parse_trace(const std::string& text, curvature::SpectrumRequest& request) {
  if (text == "none") return;
  auto fields = core::split(text, ':');
  const auto& names = curvature::trace_method_names();
  const std::vector<std::string> known = names.names();
  const bool automatic = fields.size() >= 2 && fields[1] == "auto";
  if (fields.size() < 2 || fields[0] == "none" || std::find(known.begin(), known.end(), fields[0]) == known.end() ||
      (!automatic && fields.size() != 2) || (automatic && fields.size() != 3 && fields.size() != 4)) {
    throw core::UsageError("--trace '" + text +
                           "' is not of the form hutchinson:N, hutchpp:N, krylov:N, hutchinson:auto:REL[:MAX], "
                           "hutchpp:auto:REL[:MAX], krylov:auto:REL[:MAX] or none");
  }
  request.trace = names.parse(fields[0], "--trace");
  if (!automatic) {
    request.trace_samples = static_cast<int>(core::parse_int(fields[1], "--trace samples"));
    return;
  }
  request.trace_relative_se = core::parse_double(fields[2], "--trace '" + text + "' REL");
  if (!(request.trace_relative_se > 0 && request.trace_relative_se < 1)) {
    throw core::UsageError("--trace '" + text + "': REL must be in (0, 1), got " + fields[2]);
  }
  request.trace_samples =
      fields.size() == 4 ? static_cast<int>(core::parse_int(fields[3], "--trace product cap MAX")) : kAutoTraceCap;
}

linalg::EigenMethod parse_eigensolver(const std::string& text) {
  if (text == "lanczos") return linalg::EigenMethod::kLanczos;
  if (text == "restarted") return linalg::EigenMethod::kRestarted;
  throw core::UsageError("--eigensolver '" + text + "' is not one of lanczos, restarted");
}

void print_eigen(const char* name, const runs::EigenRecord& result) {
  std::string values;
  for (double value : result.values) values += " " + std::to_string(value);
  double worst = 0;
  for (double residual : result.relative_residuals) worst = std::max(worst, residual);
  std::fprintf(stderr, "%-7s%s  (max relative residual %.1e, %lld HVPs, %.2fs%s)\n", name, values.c_str(), worst,
               static_cast<long long>(result.hvps), result.seconds, result.converged ? "" : ", NOT CONVERGED");
  if (!result.converged) std::fprintf(stderr, "        %s\n", result.status.c_str());
}

void print_summary(const std::string& measure, const curvature::SpectrumMeasures& measures) {
  if (measure == "top" && measures.top) print_eigen("top", *measures.top);
  if (measure == "bottom" && measures.bottom) print_eigen("bottom", *measures.bottom);
  if (measure == "trace" && measures.trace) {
    const runs::TraceRecord& trace = *measures.trace;
    std::string target;
    if (trace.target_relative_se) {
      char rel[32];
      std::snprintf(rel, sizeof rel, "%g", *trace.target_relative_se);
      target = std::string(", SE target ") + rel + " x |trace| " +
               (trace.target_reached.value_or(false) ? "reached" : "NOT reached (product cap)");
    }
    std::fprintf(stderr, "trace   %.6g +- %.2g SE  (%s, %lld HVPs, %.2fs%s)\n", trace.value, trace.standard_error,
                 trace.method.c_str(), static_cast<long long>(trace.hvps), trace.seconds, target.c_str());
  }
  if (measure == "esd" && measures.esd) {
    const runs::DensityRecord& esd = *measures.esd;
    std::fprintf(stderr, "esd     %d steps x %d runs, sigma %.2g, SLQ trace %.6g +- %.2g  (%lld HVPs, %.2fs)\n", esd.steps,
                 esd.runs, esd.sigma, esd.trace_estimate, esd.trace_standard_error, static_cast<long long>(esd.hvps),
                 esd.seconds);
  }
}

void print_extras(const runs::SpectrumDocument& document) {
  if (document.subspace) {
    std::fprintf(stderr, "subspace gradient fraction in the top-%d eigenspace %.3g\n", document.subspace->k,
                 document.subspace->gradient_fraction);
  }
  for (const auto& [name, block] : document.blocks) {
    std::fprintf(stderr, "block %-20s %8lld params |w| %.4g", name.c_str(), static_cast<long long>(block.size),
                 block.weight_norm);
    if (block.top && !block.top->values.empty()) {
      std::fprintf(stderr, "  lambda_max %.6g%s", block.top->values.front(), block.top->converged ? "" : " (NOT CONVERGED)");
    }
    if (block.trace) std::fprintf(stderr, "  trace %.6g +- %.2g", block.trace->value, block.trace->standard_error);
    std::fprintf(stderr, "\n");
  }
  if (document.probe_draws) {
    const runs::ProbeDrawsRecord& draws = *document.probe_draws;
    std::fprintf(stderr, "draws   lambda_max over %d probe sets of %lld: mean %.6g, sd %.3g, min %.6g, max %.6g\n",
                 draws.draws, static_cast<long long>(draws.examples), draws.mean, draws.sd, draws.min, draws.max);
  }
}

}  // namespace

int run_spectrum(const Arguments& arguments) {
  runner::ProbeSetupOptions setup_options;
  RuntimeOptions runtime;
  curvature::SpectrumRequest request;
  curvature::OperatorOptions operator_options;
  std::string trace = "hutchpp:100", esd = "80x10", out = "-";
  std::string loss = "cross-entropy", matrix = "hessian", params = "all", blocks = "none";
  int probe_draws = 0;
  std::string save_eigenvectors;
  bool no_graph_cache = false, list_params = false;
  std::string run_dir, checkpoints, eigensolver = "lanczos", records;
  std::vector<std::string> assignments;
  po::options_description options("curvtrack spectrum options");
  options.add_options()
      ("model", po::value(&setup_options.model), "TorchScript file (.pt) or native spec (mlp:784-64-10:tanh)")
      ("weights", po::value(&setup_options.weights), "weights file for a native spec")
      ("data", po::value(&setup_options.data)->default_value(setup_options.data), "fashion-mnist | mnist:DIR | kmnist:DIR | fashion-mnist:DIR | tensors:FILE.npz | tensors:X.npy,Y.npy")
      ("probe", po::value(&setup_options.probe)->default_value(setup_options.probe), "SPLIT:first:N | SPLIT:random:N:SEED | SPLIT:all (SPLIT train|test)")
      ("dtype", po::value(&setup_options.dtype)->default_value(setup_options.dtype), "float32 | float64")
      ("loss", po::value(&loss)->default_value(loss), "cross-entropy | mse (1/2 ||f - onehot(y)||^2 summed over outputs)")
      ("operator", po::value(&matrix)->default_value(matrix), "hessian | ggn | empirical-fisher")
      ("params", po::value(&params)->default_value(params), "GLOB[,GLOB]: analyse only the matching parameters (all: every one)")
      ("blocks", po::value(&blocks)->default_value(blocks), "none | module | tensor: also each block's weight norm and trace (from the --trace products)")
      ("block-top-k", po::value(&request.block_top_k)->default_value(0), "with --blocks: largest eigenvalues of each block, a solve each (0: none)")
      ("list-params", po::bool_switch(&list_params), "print the model's parameter names and sizes, then exit")
      ("probe-draws", po::value(&probe_draws)->default_value(0), "lambda_max on M random probe sets of the same size (0: none)")
      ("save-eigenvectors", po::value(&save_eigenvectors), "folder for top.npy / bottom.npy (float64 [k, n]) and layout.json")
      ("top-k", po::value(&request.top_k)->default_value(5), "largest eigenvalues (0: none)")
      ("bottom-k", po::value(&request.bottom_k)->default_value(0), "smallest eigenvalues (0: none)")
      ("trace", po::value(&trace)->default_value(trace),
       "hutchpp:N | hutchinson:N | krylov:N (exact on the top-k solve's Lanczos basis, N Hutchinson probes on "
       "the rest) | METHOD:auto:REL[:MAX] (stop at standard error <= REL*|trace|, at most MAX products, default "
       "1000) | none")
      ("esd", po::value(&esd)->default_value(esd), "STEPSxRUNS for the spectral density | none")
      ("tol", po::value(&request.tol)->default_value(0.0, "auto"),
       "eigen-solver relative tolerance on the true residuals (auto: 1e-10 in float64, 1e-5 in float32, "
       "whose products round at 1e-7..1e-6 of the largest eigenvalue)")
      ("max-hvps", po::value(&request.max_hvps)->default_value(0), "HVP budget per eigen-solve (0: unlimited)")
      ("eigensolver", po::value(&eigensolver)->default_value(eigensolver),
       "lanczos (unrestarted, fewest HVPs, 16 bytes per parameter per step) | restarted (Spectra, least memory)")
      ("seed", po::value(&request.seed)->default_value(0), "seed of every random vector (and of a native model's init)")
      ("batch-size", po::value(&operator_options.batch_size)->default_value(1024), "probe examples per HVP batch")
      ("no-graph-cache", po::bool_switch(&no_graph_cache), "recompute each batch's gradient graph per HVP (less memory)")
      ("out", po::value(&out)->default_value(out), "output JSON file (- for stdout)")
      ("run", po::value(&run_dir), "probe a run's saved checkpoints with its [curvature] settings (offline)")
      ("checkpoints", po::value(&checkpoints)->default_value("all"), "with --run: all | last | every:N | S1,S2,...")
      ("set", po::value(&assignments)->composing(), "with --run: curvature.KEY=VALUE, changing the run's [curvature] settings")
      ("records", po::value(&records), "with --run: records file in the run directory (default curvature.jsonl)");
  add_runtime_options(options, runtime);
  po::variables_map values;
  if (!parse_arguments("spectrum", arguments, options, values)) return 0;
  if (run_dir.empty() && (!assignments.empty() || !records.empty())) {
    throw core::UsageError("--set and --records apply to --run RUN_DIR (offline probes of a run's checkpoints)");
  }
  if (!run_dir.empty()) {
    runner::OfflineProbeSummary summary =
        runner::probe_checkpoints({run_dir, checkpoints, assignments, records, runtime.threads, runtime.quiet});
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
  operator_options.cache_graph = !no_graph_cache;
  operator_options.kind = curvature::operator_kind_names().parse(matrix, "--operator");
  operator_options.loss = models::loss_names().parse(loss, "--loss");
  const curvature::BlockMode block_mode = curvature::block_mode_names().parse(blocks, "--blocks");
  const std::vector<std::string> globs = curvature::parse_parameter_globs(params);
  setup_options.device = runtime.device;
  setup_options.seed = request.seed;
  if (list_params) {
    setup_options.device = runtime.device;
    setup_options.seed = request.seed;
    std::cout << runner::parameter_listing(setup_options.model, setup_options.seed);
    return 0;
  }
  if (out != "-") {
    auto folder = std::filesystem::absolute(out).parent_path();
    if (!std::filesystem::is_directory(folder)) {
      throw core::UsageError("--out " + out + ": " + folder.string() +
                             (std::filesystem::exists(folder) ? " is not a folder" : " does not exist"));
    }
    core::check_output_file(out);  // before the work: only a regular file is ever replaced
  }

  // TorchScript models run op by op, without the graph executor's profiling and optimisation
  // passes: for the few hundred products of one spectrum those cost more than they save
  // (measured on the 55k MLP: model load, graph and first products 0.45 s faster; the products
  // agree with the optimised executor's to float rounding). docs/methods.md section 2.5.
  torch::jit::setGraphExecutorOptimize(false);
  std::unique_ptr<ranks::ProcessGroup> ranks = runner::join_ranks(runtime.dist_timeout);
  // Every rank runs the same solvers on the same products; only rank 0 reports and writes.
  if (!ranks->writes_results()) runtime.quiet = true;
  runner::SpectrumRun run{setup_options, request, operator_options, globs, block_mode, probe_draws,
                          save_eigenvectors, runtime.threads, runtime.quiet};
  runs::SpectrumDocument document = runner::measure_model_spectrum(
      run, *ranks, [&](const std::string& measure, const curvature::SpectrumMeasures& so_far) {
        if (!runtime.quiet) print_summary(measure, so_far);
      });
  if (!ranks->writes_results()) return 0;
  if (!runtime.quiet) print_extras(document);
  std::string text = document.to_json().dump(2) + "\n";
  if (out == "-") {
    std::cout << text;
  } else {
    core::write_file_atomically(out, text);
  }
  if (!runtime.quiet) {
    std::fprintf(stderr, "probe loss %.6g, gradient norm %.3g, determinism gap %.1g; %lld HVPs in %.1fs%s%s\n",
                 document.probe_loss, document.probe_gradient_norm, document.determinism.max_abs_difference,
                 static_cast<long long>(document.total_hvps), document.total_seconds, out == "-" ? "" : " -> ",
                 out == "-" ? "" : out.c_str());
  }
  return 0;
}

}  // namespace curvtrack::tool
