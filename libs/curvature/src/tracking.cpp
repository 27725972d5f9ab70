#include "curvtrack/curvature/tracking.hpp"

#include <chrono>
#include <cmath>
#include <random>

#include "curvtrack/curvature/spectrum.hpp"
#include "curvtrack/linalg/eigen_solver.hpp"
#include "curvtrack/linalg/random_vectors.hpp"

namespace curvtrack::curvature {
namespace {

const char* kChecked =
    "true residual r = ||H y - theta y|| of the top Ritz pair (Lanczos from the start vector, products on the step's "
    "graph) <= tol * |theta|: an eigenvalue of H lies in [theta - r, theta + r], and theta <= lambda_max";

std::string products_text(c10::ScalarType dtype) {
  return std::string(dtype == at::kDouble ? "float64" : "float32") + " products on the training step's own graph";
}

}  // namespace

TrackAttempt certified_attempt(const StepGraphOperator& op, const Eigen::VectorXd& start, bool warm,
                               const TrackSettings& settings) {
  TrackAttempt out;
  out.ritz = linalg::certified_top_eigenpair(op, start, {settings.tol, settings.max_steps});
  runs::CertificateRecord& c = out.certificate;
  c.checked = kChecked;
  c.value = out.ritz.value;
  c.residual = out.ritz.residual;
  c.bound = out.ritz.bound;
  c.relative_bound = out.ritz.value != 0 ? out.ritz.bound / std::abs(out.ritz.value) : INFINITY;
  c.tol = settings.tol;
  c.passed = out.ritz.passed;
  c.warm_started = warm;
  c.hvps = out.ritz.steps;
  c.products = products_text(op.dtype());
  return out;
}

runs::EigenRecord certified_eigen_record(const TrackAttempt& attempt, double seconds) {
  runs::EigenRecord record;
  const linalg::CertifiedRitz& ritz = attempt.ritz;
  const double magnitude = std::abs(ritz.value);
  record.k = 1;
  record.values = {ritz.value};
  record.residuals = {ritz.residual};
  record.relative_residuals = {magnitude > 0 ? ritz.residual / magnitude : ritz.residual};
  record.scaled_residuals = {ritz.residual / std::max(magnitude, 1e-300)};
  record.converged = ritz.passed;
  record.status = ritz.passed ? "converged (certified: residual <= tol * |lambda|)"
                              : "not converged: the certificate failed";
  record.hvps = ritz.steps;
  record.lanczos_steps = ritz.steps;
  record.tol = attempt.certificate.tol;
  record.method = "certified warm Rayleigh-Ritz: Lanczos from the previous Ritz vector on the training step's graph, "
                  "full re-orthogonalisation, residuals from the stored products";
  record.seconds = seconds;
  record.warm_started = attempt.certificate.warm_started;
  return record;
}

BatchSharpness batch_sharpness(const StepGraphOperator& op, const std::optional<Eigen::VectorXd>& warm,
                               const TrackSettings& settings, std::int64_t max_hvps, std::uint64_t seed) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  BatchSharpness out;
  runs::BatchSharpnessRecord& record = out.record;
  std::optional<TrackAttempt> attempt;
  if (warm && warm->size() == op.rows()) attempt = certified_attempt(op, *warm, true, settings);
  if (attempt && attempt->certificate.passed) {
    record.lambda_max = attempt->ritz.value;
    out.vector = attempt->ritz.vector;
    record.certificate = attempt->certificate;
  } else {
    linalg::EigenOptions options;
    options.k = 1;
    options.tol = settings.tol;
    options.max_products = max_hvps;
    options.seed = seed;
    if (attempt) options.warm_start = {attempt->ritz.vector};
    auto solve_start = Clock::now();
    linalg::EigenResult result = linalg::extreme_eigenpairs(op, linalg::Spectrum::kLargest, options);
    record.fallback = eigen_record(result, options,
                                   std::chrono::duration<double>(Clock::now() - solve_start).count());
    record.fallback->warm_started = attempt.has_value();
    record.lambda_max = result.values[0];
    out.vector = result.vectors.col(0);
    if (attempt) {
      record.certificate = attempt->certificate;
    } else {
      record.certificate.checked = "no previous Ritz vector: a cold solve";
      record.certificate.tol = settings.tol;
      record.certificate.products = products_text(op.dtype());
    }
    record.certificate.fell_back = true;
  }
  record.hvps = op.products();
  record.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

}  // namespace curvtrack::curvature
