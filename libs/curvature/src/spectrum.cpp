#include "curvtrack/curvature/spectrum.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"

namespace curvtrack::curvature {
namespace {

std::vector<double> to_vector(const Eigen::VectorXd& values) {
  return std::vector<double>(values.data(), values.data() + values.size());
}

}  // namespace

const core::NamedValues<linalg::TraceMethod>& trace_method_names() {
  static const core::NamedValues<linalg::TraceMethod> names = {{linalg::TraceMethod::kHutchpp, "hutchpp"},
                                                               {linalg::TraceMethod::kHutchinson, "hutchinson"},
                                                               {linalg::TraceMethod::kKrylov, "krylov"},
                                                               {linalg::TraceMethod::kNone, "none"}};
  return names;
}

void parse_density_shape(const std::string& text, const std::string& what, int& steps, int& runs) {
  steps = runs = 0;
  if (text == "none") return;
  auto fields = core::split(text, 'x');
  if (fields.size() != 2) throw core::UsageError(what + " '" + text + "' is not of the form STEPSxRUNS (e.g. 80x10) or none");
  std::int64_t parsed_steps = core::parse_int(fields[0], what + " steps");
  std::int64_t parsed_runs = core::parse_int(fields[1], what + " runs");
  if (parsed_steps < 2 || parsed_runs < 1 || parsed_steps > 100000 || parsed_runs > 100000) {
    throw core::UsageError(what + " '" + text + "' needs STEPS in [2, 100000] and RUNS in [1, 100000] (or none)");
  }
  steps = static_cast<int>(parsed_steps);
  runs = static_cast<int>(parsed_runs);
}

std::string density_shape_text(int steps, int runs) {
  return steps == 0 ? "none" : std::to_string(steps) + "x" + std::to_string(runs);
}

SpectrumRequest solver_settings(const SpectrumRequest& request) {
  SpectrumRequest out;
  out.tol = request.tol;
  out.eigen_method = request.eigen_method;
  out.max_hvps = request.max_hvps;
  out.seed = request.seed;
  return out;
}

void check_request(const SpectrumRequest& request, std::int64_t parameters) {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw core::UsageError(message);
  };
  const std::string n = std::to_string(parameters);
  require(request.top_k >= 0 && request.top_k < parameters,
          "--top-k " + std::to_string(request.top_k) + " must be in [0, " + n +
              ") (the model has " + n + " parameters)");
  require(request.bottom_k >= 0 && request.bottom_k < parameters,
          "--bottom-k " + std::to_string(request.bottom_k) + " must be in [0, " + n +
              ") (the model has " + n + " parameters)");
  require(request.block_top_k >= 0, "--block-top-k must be >= 0, got " + std::to_string(request.block_top_k));
  using linalg::TraceMethod;
  require(request.trace == TraceMethod::kNone ||
              request.trace_samples >= (request.trace == TraceMethod::kHutchpp ? 3 : 2),
          "--trace needs at least 2 samples (Hutch++: 3), got " + std::to_string(request.trace_samples));
  require(request.trace != TraceMethod::kKrylov || request.top_k >= 1,
          "--trace krylov:N deflates by the top-k solve's Lanczos basis: it needs --top-k >= 1");
  require(request.trace_relative_se >= 0 && request.trace_relative_se < 1,
          "--trace relative standard error target must be in (0, 1), got " + std::to_string(request.trace_relative_se));
  require(request.esd_steps == 0 || (request.esd_steps >= 2 && request.esd_runs >= 1),
          "--esd needs STEPSxRUNS with STEPS >= 2 and RUNS >= 1");
  require(request.esd_steps <= parameters,
          "--esd steps " + std::to_string(request.esd_steps) + " exceed the number of parameters " + n);
  require(request.tol > 0 && request.tol < 1, "--tol must be in (0, 1)");
  require(request.max_hvps >= 0, "--max-hvps must be >= 0 (0: unlimited)");
}

nlohmann::json SpectrumMeasures::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  if (top) out["top"] = top->to_json();
  if (bottom) out["bottom"] = bottom->to_json();
  if (trace) out["trace"] = trace->to_json();
  if (esd) out["esd"] = esd->to_json();
  return out;
}

runs::EigenRecord eigen_record(const linalg::EigenResult& result, const linalg::EigenOptions& options, double seconds) {
  runs::EigenRecord record;
  record.k = options.k;
  record.values = to_vector(result.values);
  record.residuals = to_vector(result.residuals);
  for (Eigen::Index i = 0; i < result.values.size(); ++i) {
    double magnitude = std::abs(result.values[i]);
    record.relative_residuals.push_back(magnitude > 0 ? result.residuals[i] / magnitude : result.residuals[i]);
    record.scaled_residuals.push_back(result.residuals[i] / std::max({magnitude, options.spectral_scale, 1e-300}));
  }
  record.spectral_scale = options.spectral_scale;
  record.converged = result.converged;
  record.status = result.status;
  record.hvps = result.products;
  record.lanczos_steps = result.lanczos_steps;
  record.restarts = result.restarts;
  record.tol = options.tol;
  const bool lanczos = options.method == linalg::EigenMethod::kLanczos;
  record.method = lanczos ? "unrestarted Lanczos, full re-orthogonalisation, residuals from the stored products"
                            " (continued by Spectra's implicitly restarted Lanczos if max_basis is reached)"
                          : "implicitly restarted Lanczos (Spectra SymEigsSolver), residuals from k more products";
  record.max_basis = lanczos ? (options.max_basis > 0 ? options.max_basis
                                                      : linalg::automatic_max_basis(options.k, result.vectors.rows()))
                             : 0;
  record.ncv = lanczos ? 0 : linalg::automatic_ncv(options.k);
  record.seconds = seconds;
  if (result.completeness_checked) {
    record.completeness_hvps = result.completeness_products;
    record.completeness_added = result.completeness_added;
  }
  return record;
}

runs::TraceRecord trace_record(const linalg::TraceEstimate& estimate, double seconds) {
  runs::TraceRecord record{estimate.method,   estimate.value, estimate.standard_error, estimate.samples,
                           estimate.products, seconds,        std::nullopt,            std::nullopt};
  if (estimate.target_relative_se > 0) {
    record.target_relative_se = estimate.target_relative_se;
    record.target_reached = estimate.target_reached;
  }
  return record;
}

runs::DensityRecord density_record(const linalg::SlqResult& result, const linalg::SlqOptions& options, double seconds) {
  runs::DensityRecord record;
  record.method = "stochastic Lanczos quadrature, full re-orthogonalisation";
  record.steps = options.steps;
  record.runs = options.runs;
  for (const auto& run : result.runs) {
    record.nodes.push_back(to_vector(run.nodes));
    record.weights.push_back(to_vector(run.weights));
  }
  record.sigma = result.sigma;
  record.grid = to_vector(result.grid);
  record.density = to_vector(result.density);
  record.trace_estimate = result.trace;
  record.trace_standard_error = result.trace_se;
  record.hvps = result.products;
  record.shared_hvps = result.shared_products;
  if (result.shared_products > 0) {
    record.method += "; run 1 continues the top-k solve's Lanczos run (shared_hvps of its steps are that solve's, "
                     "and the seconds of its continuation are counted with that solve)";
  }
  record.seconds = seconds;
  return record;
}

}  // namespace curvtrack::curvature
