// curvtrack bench: what one HVP costs next to one gradient, and how many HVPs the Lanczos
// solver needs against PyHessian's power-iteration rule, measured side by side in one run.

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "commands.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/curvature/curvature_operator.hpp"
#include "curvtrack/linalg/eigen_solver.hpp"
#include "curvtrack/linalg/power_iteration.hpp"
#include "curvtrack/runner/devices.hpp"
#include "curvtrack/runner/probe_setup.hpp"

namespace po = boost::program_options;

namespace curvtrack::tool {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_of(const std::function<void()>& work) {
  auto start = Clock::now();
  work();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

// Resident-set high-water mark in MiB (Linux); reset_peak() restarts it from the current RSS.
double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return NAN;
}
double current_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return NAN;
}
void reset_peak() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

// Median time and peak extra memory of `work` over `repeats` runs (after one warm-up run).
struct Cost {
  double seconds;
  double peak_mib;
};
Cost measure(const std::function<void()>& work, int repeats) {
  work();
  std::vector<double> times;
  double peak = 0;
  for (int r = 0; r < repeats; ++r) {
    double base = current_rss_mib();
    reset_peak();
    times.push_back(seconds_of(work));
    peak = std::max(peak, peak_rss_mib() - base);
  }
  return {median(times), peak};
}

double max_relative_error(const Eigen::VectorXd& estimates, const Eigen::VectorXd& reference) {
  double worst = 0;
  for (Eigen::Index i = 0; i < std::min(estimates.size(), reference.size()); ++i) {
    worst = std::max(worst, std::abs(estimates[i] - reference[i]) / std::abs(reference[i]));
  }
  return worst;
}

double max_relative_residual(const linalg::EigenResult& result) {
  double worst = 0;
  for (Eigen::Index i = 0; i < result.values.size(); ++i) {
    worst = std::max(worst, result.residuals[i] / std::abs(result.values[i]));
  }
  return worst;
}

void print_solver(const char* name, int k, const linalg::EigenResult& result, double seconds) {
  std::printf("top-%d   %-10s %4lld HVPs %7.2fs  max rel. residual %.1e  %s\n", k, name,
              static_cast<long long>(result.products), seconds, max_relative_residual(result),
              result.converged ? "converged" : "NOT converged");
}

void compare_solvers(const curvature::CurvatureOperator& op, int k, double tol, int ncv, std::uint64_t seed) {
  linalg::EigenOptions options;
  options.k = k;
  options.tol = tol;
  options.seed = seed;
  linalg::EigenResult lanczos;
  double lanczos_seconds = seconds_of([&] { lanczos = linalg::extreme_eigenpairs(op, linalg::Spectrum::kLargest, options); });
  options.method = linalg::EigenMethod::kRestarted;
  options.ncv = ncv;
  linalg::EigenResult restarted;
  double restarted_seconds = seconds_of([&] { restarted = linalg::extreme_eigenpairs(op, linalg::Spectrum::kLargest, options); });
  linalg::PowerResult power;
  double power_seconds = seconds_of([&] { power = linalg::power_iteration(op, k, 1e-3, 100, seed); });
  // The power baseline finds eigenvalues by magnitude, in the order found; compare sorted.
  Eigen::VectorXd power_sorted = power.values;
  std::sort(power_sorted.data(), power_sorted.data() + power_sorted.size(), std::greater<double>());
  print_solver("lanczos:", k, lanczos, lanczos_seconds);
  print_solver("restarted:", k, restarted, restarted_seconds);
  std::printf("top-%d   power:     %4lld HVPs %7.2fs  max rel. error vs lanczos %.1e   HVP ratio power/lanczos %.2f\n",
              k, static_cast<long long>(power.products), power_seconds,
              max_relative_error(power_sorted, lanczos.values),
              static_cast<double>(power.products) / static_cast<double>(lanczos.products));
}

// One product's median time and peak memory, against a gradient and a cached Hessian product.
void print_product_cost(const char* name, const Cost& cost, const Cost& gradient, const Cost& hvp) {
  std::printf("%-24s %8.4fs  peak +%7.1f MiB   /gradient %.2f   /HVP %.2f\n", name, cost.seconds, cost.peak_mib,
              cost.seconds / gradient.seconds, cost.seconds / hvp.seconds);
}

}  // namespace

int run_bench(const Arguments& arguments) {
  runner::ProbeSetupOptions setup_options;
  setup_options.dtype = "float32";
  RuntimeOptions runtime;
  int repeats = 7;
  double tol = 1e-8;
  int ncv = 0;
  std::uint64_t seed = 0;
  std::int64_t batch_size = 4096;
  po::options_description options("curvtrack bench options");
  options.add_options()
      ("model", po::value(&setup_options.model), "TorchScript file (.pt) or native spec")
      ("weights", po::value(&setup_options.weights), "weights file for a native spec")
      ("data", po::value(&setup_options.data)->default_value(setup_options.data), "dataset spec")
      ("probe", po::value(&setup_options.probe)->default_value(setup_options.probe), "probe set spec")
      ("dtype", po::value(&setup_options.dtype)->default_value(setup_options.dtype), "float32 | float64")
      ("repeats", po::value(&repeats)->default_value(repeats), "timed repeats per measurement (median reported)")
      ("tol", po::value(&tol)->default_value(tol), "Lanczos tolerance for the solver comparison")
      ("ncv", po::value(&ncv)->default_value(ncv), "restarted solver's subspace size (0: automatic)")
      ("batch-size", po::value(&batch_size)->default_value(batch_size), "probe examples per batch")
      ("seed", po::value(&seed)->default_value(seed), "seed of the start vectors");
  add_runtime_options(options, runtime);
  po::variables_map values;
  if (!parse_arguments("bench", arguments, options, values)) return 0;
  if (repeats < 1) throw core::UsageError("--repeats " + std::to_string(repeats) + " must be >= 1");
  // The solver comparison runs k = 1 and k = 5; the restarted solver needs k < ncv <= parameters.
  constexpr int kLargestK = 5;
  if (ncv != 0 && ncv <= kLargestK) {
    throw core::UsageError("--ncv " + std::to_string(ncv) + ": the restarted solver needs more vectors than " +
                           "eigenvalues, and bench asks for up to " + std::to_string(kLargestK) + "; give --ncv " +
                           std::to_string(kLargestK + 1) + " or more (at most the parameter count), or 0 for automatic");
  }
  if (!(tol > 0) || !std::isfinite(tol)) {
    throw core::UsageError("--tol " + std::to_string(tol) + " must be a positive number (e.g. 1e-8)");
  }
  if (batch_size < 1) throw core::UsageError("--batch-size " + std::to_string(batch_size) + " must be >= 1");
  setup_options.device = runtime.device;
  int threads = runner::apply_threads(runtime.threads);
  runner::ProbeSetup setup = runner::load_probe_setup(setup_options);
  models::Network& network = *setup.network;
  const std::int64_t parameter_count = models::parameter_count(network);
  if (ncv > parameter_count || parameter_count <= kLargestK) {
    throw core::UsageError("--model " + setup_options.model + " has " + std::to_string(parameter_count) +
                           " parameters: bench needs more than " + std::to_string(kLargestK) +
                           (ncv > parameter_count ? " and at least --ncv " + std::to_string(ncv) : std::string()));
  }
  const at::Tensor& inputs = setup.probe.images;
  const at::Tensor& labels = setup.probe.labels;
  std::printf("bench: %s, %lld parameters, %lld examples, %s, %d threads, median of %d\n",
              setup_options.model.c_str(), static_cast<long long>(models::parameter_count(network)),
              static_cast<long long>(inputs.size(0)), setup_options.dtype.c_str(), threads, repeats);

  auto parameters = network.parameters();
  at::Tensor x = inputs.to(parameters.front().options());
  Cost gradient = measure([&] {
    for (std::int64_t b = 0; b < x.size(0); b += batch_size) {
      at::Tensor loss = at::cross_entropy_loss(network.forward(x.slice(0, b, b + batch_size)),
                                               labels.slice(0, b, b + batch_size));
      torch::autograd::grad({loss}, parameters);
    }
  }, repeats);
  curvature::CurvatureOperator cached(network, inputs, labels, curvature::OperatorOptions::in_batches(batch_size));
  curvature::CurvatureOperator uncached(network, inputs, labels, curvature::OperatorOptions::in_batches(batch_size, false));
  at::Tensor v = at::randn({cached.cols()}, parameters.front().options());
  Cost hvp_cached = measure([&] { cached.apply(v); }, repeats);
  Cost hvp_uncached = measure([&] { uncached.apply(v); }, repeats);
  std::printf("gradient                 %8.4fs  peak +%7.1f MiB\n", gradient.seconds, gradient.peak_mib);
  print_product_cost("HVP (graph cached)", hvp_cached, gradient, hvp_cached);
  print_product_cost("HVP (from scratch)", hvp_uncached, gradient, hvp_cached);
  for (auto kind : {curvature::OperatorKind::kGgn, curvature::OperatorKind::kEmpiricalFisher}) {
    curvature::OperatorOptions other = curvature::OperatorOptions::in_batches(batch_size);
    other.kind = kind;
    curvature::CurvatureOperator op(network, inputs, labels, other);
    Cost cost = measure([&] { op.apply(v); }, repeats);
    print_product_cost((curvature::operator_kind_names().name(kind) + " (graph cached)").c_str(), cost, gradient,
                       hvp_cached);
  }

  // Residuals of 1e-8 are below float32 rounding of an HVP, so the solvers run in float64.
  network.to(parameters.front().device(), at::kDouble);
  curvature::CurvatureOperator exact(network, inputs, labels, curvature::OperatorOptions::in_batches(batch_size));
  std::printf("solvers in float64, tol %.0e; lanczos: unrestarted, residuals from stored products; restarted: Spectra,"
              " k products for residuals; power iteration with PyHessian's rule (tol 1e-3, <= 100 iterations)\n", tol);
  compare_solvers(exact, 1, tol, ncv, seed);
  compare_solvers(exact, 5, tol, ncv, seed);
  return 0;
}

}  // namespace curvtrack::tool
