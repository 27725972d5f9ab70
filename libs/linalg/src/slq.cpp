#include "curvtrack/linalg/slq.hpp"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

#include "curvtrack/linalg/lanczos.hpp"
#include "curvtrack/linalg/random_vectors.hpp"

namespace curvtrack::linalg {
namespace {

constexpr double kPi = 3.14159265358979323846;

void fail(const std::string& message) { throw std::invalid_argument(message); }

}  // namespace

void SlqOptions::check() const {
  if (steps < 1) fail("slq steps = " + std::to_string(steps) + " must be >= 1");
  if (runs < 1) fail("slq runs = " + std::to_string(runs) + " must be >= 1");
  if (grid_points < 2) fail("slq grid_points = " + std::to_string(grid_points) + " must be >= 2");
  if (!(sigma_fraction > 0) || !std::isfinite(sigma_fraction)) fail("slq sigma_fraction must be positive");
  if (!(sigma >= 0) || !std::isfinite(sigma)) fail("slq sigma must be >= 0 (0 = from sigma_fraction)");
}

SlqRun quadrature_rule(const Eigen::VectorXd& alpha, const Eigen::VectorXd& beta) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
  eig.computeFromTridiagonal(alpha, beta, Eigen::ComputeEigenvectors);
  SlqRun run;
  run.nodes = eig.eigenvalues();
  run.weights = eig.eigenvectors().row(0).transpose().array().square();
  return run;
}

Eigen::VectorXd broadened_density(const std::vector<SlqRun>& runs, const Eigen::VectorXd& grid, double sigma) {
  if (!(sigma > 0)) fail("broadened_density: sigma must be positive");
  if (runs.empty()) fail("broadened_density: no runs");
  const double norm = 1.0 / (std::sqrt(2.0 * kPi) * sigma * static_cast<double>(runs.size()));
  Eigen::VectorXd density = Eigen::VectorXd::Zero(grid.size());
  for (const SlqRun& run : runs) {
    for (Eigen::Index i = 0; i < run.nodes.size(); ++i) {
      const Eigen::ArrayXd z = (grid.array() - run.nodes[i]) / sigma;
      density.array() += run.weights[i] * norm * (-0.5 * z.square()).exp();
    }
  }
  return density;
}

namespace detail {

SlqResult slq(const OperatorRef& op, const SlqOptions& options, const LanczosResult* first_run) {
  options.check();
  const Eigen::Index n = op.rows();
  const int m = static_cast<int>(std::min<Eigen::Index>(options.steps, n));
  std::mt19937_64 rng(options.seed);
  SlqResult result;
  Eigen::VectorXd traces(options.runs);
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  const bool reuse = first_run != nullptr && first_run->steps >= 1 &&
                     (first_run->steps == m || (first_run->breakdown && first_run->steps < m));
  for (int r = 0; r < options.runs; ++r) {
    const Eigen::VectorXd start = rademacher(n, rng);  // drawn for every run, so later runs keep their starts
    const LanczosResult tri = r == 0 && reuse ? *first_run : lanczos(op, start, m);
    SlqRun run = quadrature_rule(tri.alpha, tri.beta);
    // n * v^T A v for a unit start v: with v = z / sqrt(n) it is the Hutchinson sample z^T A z; for a
    // start uniform on the sphere (a reused run) it is unbiased too.
    traces[r] = static_cast<double>(n) * run.weights.dot(run.nodes);
    lo = std::min(lo, run.nodes.minCoeff());
    hi = std::max(hi, run.nodes.maxCoeff());
    result.runs.push_back(std::move(run));
  }
  result.products = op.products();
  if (reuse) {
    result.products += first_run->products;
    result.shared_products = first_run->steps - first_run->products;
  }
  result.trace = traces.mean();
  result.trace_se = options.runs > 1 ? std::sqrt((traces.array() - result.trace).square().sum() /
                                                 (options.runs - 1) / options.runs)
                                     : std::numeric_limits<double>::quiet_NaN();
  // A one-point spectrum (A = cI) has no range; broaden relative to its magnitude instead.
  const double range = hi > lo ? hi - lo : std::max(std::abs(hi), 1.0);
  result.sigma = options.sigma > 0 ? options.sigma : options.sigma_fraction * range;
  result.grid = Eigen::VectorXd::LinSpaced(options.grid_points, lo - 5 * result.sigma, hi + 5 * result.sigma);
  result.density = broadened_density(result.runs, result.grid, result.sigma);
  return result;
}

}  // namespace detail
}  // namespace curvtrack::linalg
