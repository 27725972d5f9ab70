#pragma once
// The measures of `curvtrack spectrum` (docs/methods.md section 3) over any operator of the linalg
// concept, each written as a JSON object with its settings, error estimate, HVP count and time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "curvtrack/core/options.hpp"
#include "curvtrack/runs/curvature_record.hpp"

#include "curvtrack/linalg/eigen_solver.hpp"
#include "curvtrack/linalg/slq.hpp"
#include "curvtrack/linalg/trace.hpp"

namespace curvtrack::curvature {

/// What to measure and with which budget.
struct SpectrumRequest {
  int top_k = 0;                   ///< largest algebraic eigenpairs (0: skip)
  int bottom_k = 0;                ///< smallest algebraic eigenpairs (0: skip)
  linalg::TraceMethod trace = linalg::TraceMethod::kNone;  ///< trace estimator (kNone: skip)
  int trace_samples = 0;           ///< probe vectors (Hutchinson) or product budget (Hutch++)
  double trace_relative_se = 0;    ///< > 0: stop the Hutchinson samples once their standard error is
                                   ///< at most this times |trace| (trace_samples is then the cap)
  int esd_steps = 0;               ///< Lanczos steps per SLQ run (0: skip the density)
  int esd_runs = 0;                ///< SLQ runs (random start vectors)
  double tol = 1e-10;              ///< eigen-solver relative tolerance
  linalg::EigenMethod eigen_method = linalg::EigenMethod::kLanczos;  ///< unrestarted or restarted Lanczos
  std::int64_t max_hvps = 0;       ///< per eigen-solve product budget (0: unlimited)
  std::uint64_t seed = 0;          ///< seeds every random vector
  std::vector<Eigen::VectorXd> warm_top;  ///< start vectors of the top solve (empty: random)
  bool record_warm_start = false;  ///< add "warm_started" to the top result (training probes do)
  /// Coordinates grouped into parameter blocks: their traces come from the whole trace's
  /// products at no extra cost (empty: no block traces).
  linalg::CoordinateBlocks trace_blocks;
  int block_top_k = 0;             ///< largest eigenpairs of each block, a solve each (0: none)
};

/// A request with the solver settings of `request` (tolerance, eigen-solver, product budget,
/// seed) and no measure switched on, for callers that measure parts of a problem (blocks, probe
/// draws) with the same solvers.
SpectrumRequest solver_settings(const SpectrumRequest& request);

/// Spellings of the trace estimators in configs and on the command line.
const core::NamedValues<linalg::TraceMethod>& trace_method_names();

/// "80x10" -> 80 Lanczos steps x 10 runs; "none" -> 0 x 0. Anything else, a shape with
/// STEPS < 2 or RUNS < 1 included, is a UsageError naming `what` (a flag or config key).
void parse_density_shape(const std::string& text, const std::string& what, int& steps, int& runs);

/// The inverse of parse_density_shape.
std::string density_shape_text(int steps, int runs);

/// What measure_spectrum measured; each part is set when it was requested.
struct SpectrumMeasures {
  std::optional<runs::EigenRecord> top;
  std::optional<runs::EigenRecord> bottom;
  std::optional<runs::TraceRecord> trace;
  std::optional<runs::DensityRecord> esd;
  std::vector<runs::TraceRecord> block_traces;  ///< per request.trace_blocks block, from the trace's products
  /// {"top":…, "bottom":…, "trace":…, "esd":…} with the parts that are set.
  nlohmann::json to_json() const;
};

/// Called after each measure with its name ("top", "bottom", "trace", "esd") and the measures
/// so far, for progress lines.
using MeasureCallback = std::function<void(const std::string& measure, const SpectrumMeasures& measures)>;

/// Checks the request against the operator size; throws core::UsageError naming the value.
void check_request(const SpectrumRequest& request, std::int64_t parameters);

/// An eigen-solver result as recorded (values, true residuals, relative residuals, status, HVPs).
runs::EigenRecord eigen_record(const linalg::EigenResult& result, const linalg::EigenOptions& options, double seconds);
/// A trace estimate as recorded (value, standard error, samples, HVPs).
runs::TraceRecord trace_record(const linalg::TraceEstimate& estimate, double seconds);
/// An SLQ density as recorded (raw nodes and weights per run, broadened density, sigma, HVPs).
runs::DensityRecord density_record(const linalg::SlqResult& result, const linalg::SlqOptions& options, double seconds);

/// The eigen-solvers' full results (values and vectors), for warm starts and saved eigenvectors.
struct SpectrumVectors {
  linalg::EigenResult top;
  linalg::EigenResult bottom;
};

/// Runs every requested measure on `op`. `vectors`, when given, receives the top and bottom
/// solves' results.
template <class Op>
SpectrumMeasures measure_spectrum(const Op& op, const SpectrumRequest& request, const MeasureCallback& on_measure = {},
                                  SpectrumVectors* vectors = nullptr) {
  using Clock = std::chrono::steady_clock;
  auto seconds_since = [](Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  check_request(request, op.rows());
  SpectrumMeasures out;
  auto report = [&](const std::string& name) {
    if (on_measure) on_measure(name, out);
  };
  double scale = 0.0;  // |lambda_max| once known: near-zero bottom eigenvalues converge against it
  linalg::LanczosResult shared_run;  // the top solve's Lanczos run, continued for the density
  std::shared_ptr<const linalg::KrylovBasis> top_basis;  // its basis and products, for a Krylov trace
  auto eigen = [&](const char* name, int k, linalg::Spectrum which) {
    if (k <= 0) return;
    const bool largest = which == linalg::Spectrum::kLargest;
    linalg::EigenOptions options;
    options.k = k;
    options.tol = request.tol;
    options.method = request.eigen_method;
    options.max_products = request.max_hvps;
    options.seed = request.seed;
    options.spectral_scale = largest ? 0.0 : scale;
    if (largest) options.warm_start = request.warm_top;
    // A cold top solve's Lanczos run doubles as the density's first run (its start is random).
    if (largest) options.krylov_steps = request.esd_steps;
    options.keep_krylov_basis = largest && request.trace == linalg::TraceMethod::kKrylov;
    auto start = Clock::now();
    linalg::EigenResult result = linalg::extreme_eigenpairs(op, which, options);
    if (largest) shared_run = std::move(result.krylov);
    if (largest) top_basis = std::move(result.krylov_basis);
    runs::EigenRecord record = eigen_record(result, options, seconds_since(start));
    if (request.record_warm_start) record.warm_started = largest && !request.warm_top.empty();
    (largest ? out.top : out.bottom) = std::move(record);
    // A non-finite lambda_max leaves the scale at 0 (near-zero bottom values then use eps).
    if (largest && result.values.size() > 0 && std::isfinite(result.values[0])) scale = std::abs(result.values[0]);
    if (vectors != nullptr) (largest ? vectors->top : vectors->bottom) = std::move(result);
    report(name);
  };
  eigen("top", request.top_k, linalg::Spectrum::kLargest);
  eigen("bottom", request.bottom_k, linalg::Spectrum::kSmallest);
  if (request.trace != linalg::TraceMethod::kNone) {
    auto start = Clock::now();
    linalg::TraceTarget target;
    target.relative_se = request.trace_relative_se;
    // Without the top solve's basis (it went on with restarts) the Krylov trace is plain Hutchinson.
    const bool deflate = request.trace != linalg::TraceMethod::kKrylov || top_basis != nullptr;
    linalg::BlockTraceEstimates estimate = linalg::estimate_block_traces(
        op, deflate ? request.trace : linalg::TraceMethod::kHutchinson, request.trace_samples, request.seed + 1,
        request.trace_blocks, target, top_basis.get());
    top_basis.reset();
    if (!deflate) estimate.whole.method += " (krylov asked for: the top-k solve kept no basis, it needed restarts)";
    out.trace = trace_record(estimate.whole, seconds_since(start));
    for (linalg::TraceEstimate& block : estimate.blocks) {
      block.method += ", block of the whole trace's products";
      out.block_traces.push_back(trace_record(block, 0.0));
    }
    report("trace");
  }
  if (request.esd_steps > 0) {
    linalg::SlqOptions options;
    options.steps = request.esd_steps;
    options.runs = request.esd_runs;
    options.seed = request.seed + 2;
    auto start = Clock::now();
    linalg::SlqResult result = linalg::slq(op, options, &shared_run);
    out.esd = density_record(result, options, seconds_since(start));
    report("esd");
  }
  return out;
}

}  // namespace curvtrack::curvature
