#include "test_prelude.hpp"

#include <cmath>

#include "curvtrack/linalg/dense_operator.hpp"
#include "curvtrack/linalg/eigen_solver.hpp"
#include "curvtrack/linalg/lanczos.hpp"
#include "curvtrack/linalg/random_vectors.hpp"
#include "curvtrack/linalg/slq.hpp"
#include "test_matrices.hpp"

using namespace curvtrack::linalg;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

double trapezoid(const VectorXd& x, const VectorXd& y) {
  double sum = 0;
  for (Eigen::Index i = 0; i + 1 < x.size(); ++i) sum += 0.5 * (x[i + 1] - x[i]) * (y[i] + y[i + 1]);
  return sum;
}

// A cold top-k solve to 1e-8 whose Lanczos run goes on to `krylov_steps` for a density.
EigenOptions cold_solve(int k, std::uint64_t seed, int krylov_steps) {
  EigenOptions options;
  options.k = k;
  options.tol = 1e-8;
  options.seed = seed;
  options.krylov_steps = krylov_steps;
  return options;
}

}  // namespace

TEST_CASE("Lanczos quadrature integrates polynomials of degree up to 2m-1 exactly", "[unit]") {
  const Eigen::Index n = 60;
  const int m = 5;
  const MatrixXd a = testing::with_spectrum(VectorXd::LinSpaced(n, -1.0, 2.0), 31);
  DenseOperator op(a);
  std::mt19937_64 rng(2);
  const VectorXd v = rademacher(n, rng);
  const LanczosResult tri = lanczos(op, v, m);
  const SlqRun rule = quadrature_rule(tri.alpha, tri.beta);
  CHECK_THAT(rule.weights.sum(), WithinAbs(1.0, 1e-14));
  VectorXd apv = v;  // A^p v, computed densely
  double error_at_2m = 0;
  for (int p = 0; p <= 2 * m; ++p) {
    const double exact = v.dot(apv) / v.dot(v);
    const double quadrature = rule.weights.dot(rule.nodes.array().pow(p).matrix());
    INFO("degree " << p << ": exact " << exact << ", quadrature " << quadrature);
    if (p <= 2 * m - 1) {
      CHECK_THAT(quadrature, WithinAbs(exact, 1e-11 * std::pow(2.0, p)));
    } else {
      error_at_2m = std::abs(quadrature - exact);
    }
    apv = a * apv;
  }
  // Exactness ends at 2m-1: degree 2m is off, which shows the check above can fail.
  CHECK(error_at_2m > 1e-6);
}

TEST_CASE("SLQ trace of one run is the Hutchinson sample of its Rademacher probe", "[unit]") {
  const Eigen::Index n = 80;
  const MatrixXd a = testing::with_spectrum(VectorXd::LinSpaced(n, -2.0, 5.0), 32);
  DenseOperator op(a);
  SlqOptions options;
  options.steps = 10;
  options.runs = 1;
  options.seed = 9;
  const SlqResult result = slq(op, options);
  std::mt19937_64 rng(9);
  const VectorXd z = rademacher(n, rng);
  CHECK_THAT(result.trace, WithinRel(z.dot(a * z), 1e-10));
  CHECK(result.products == 10);
  CHECK(std::isnan(result.trace_se));
}

TEST_CASE("SLQ density integrates to one and its trace is within 3 SE of the exact trace", "[unit]") {
  const VectorXd lambda = testing::nn_like_spectrum(500, 33);
  DenseOperator op(testing::with_spectrum(lambda, 34));
  SlqOptions options;
  options.steps = 40;
  options.runs = 10;
  options.seed = 3;
  const SlqResult result = slq(op, options);
  INFO("trace " << result.trace << " +- " << result.trace_se << ", exact " << lambda.sum() << ", sigma "
                << result.sigma);
  REQUIRE(result.runs.size() == 10);
  CHECK(result.products == 400);
  CHECK_THAT(trapezoid(result.grid, result.density), WithinAbs(1.0, 1e-3));
  CHECK(std::abs(result.trace - lambda.sum()) < 3 * result.trace_se);
  CHECK_THAT(result.sigma, WithinRel(0.01 * (result.grid.maxCoeff() - result.grid.minCoeff()) / 1.1, 1e-9));
  // The largest node of a 40-step run has found the top outlier.
  CHECK_THAT(result.runs[0].nodes.maxCoeff(), WithinRel(100.0, 1e-8));
}

TEST_CASE("broadened density integrates to one and keeps the mean of the nodes", "[unit]") {
  SlqRun run{VectorXd(3), VectorXd(3)};
  run.nodes << -1.0, 0.5, 4.0;
  run.weights << 0.2, 0.5, 0.3;
  const double sigma = 0.3;
  const VectorXd grid = VectorXd::LinSpaced(2000, -1.0 - 5 * sigma, 4.0 + 5 * sigma);
  const VectorXd density = broadened_density({run, run}, grid, sigma);
  CHECK_THAT(trapezoid(grid, density), WithinAbs(1.0, 1e-3));
  CHECK_THAT(trapezoid(grid, VectorXd(grid.array() * density.array())), WithinAbs(run.weights.dot(run.nodes), 1e-3));
}

TEST_CASE("a cold top-k solve's Lanczos run, continued, is the density's first run at no repeated product",
          "[unit]") {
  const Eigen::Index n = 120;
  const int m = 40;
  const MatrixXd a = testing::with_spectrum(testing::nn_like_spectrum(n, 7), 33);
  DenseOperator op(a);
  EigenOptions eigen = cold_solve(3, 4, 0);
  const EigenResult plain = extreme_eigenpairs(op, Spectrum::kLargest, eigen);
  eigen.krylov_steps = m;
  const EigenResult shared = extreme_eigenpairs(op, Spectrum::kLargest, eigen);
  REQUIRE(plain.converged);
  REQUIRE(plain.lanczos_steps < m);
  // The solve itself is unchanged, and its products do not include the continuation.
  CHECK(shared.values.isApprox(plain.values, 1e-14));
  CHECK(shared.products == plain.products);
  REQUIRE(shared.krylov.steps == m);
  CHECK(shared.krylov.products == m - plain.lanczos_steps);

  // Independent reference: a plain m-step Lanczos run from the solve's documented start, a unit
  // Gaussian vector drawn from the seed.
  std::mt19937_64 rng(eigen.seed);
  VectorXd start = gaussian(n, rng);
  start.normalize();
  const LanczosResult reference = lanczos(DenseOperator(a), start, m);
  CHECK((shared.krylov.alpha - reference.alpha).cwiseAbs().maxCoeff() < 1e-10);
  CHECK((shared.krylov.beta - reference.beta).cwiseAbs().maxCoeff() < 1e-10);

  SlqOptions options;
  options.steps = m;
  options.runs = 3;
  options.seed = 11;
  DenseOperator density_op(a);
  const SlqResult result = slq(density_op, options, &shared.krylov);
  const SlqRun first = quadrature_rule(reference.alpha, reference.beta);
  CHECK((result.runs[0].nodes - first.nodes).cwiseAbs().maxCoeff() < 1e-9);
  CHECK(density_op.products() == 2 * m);  // runs 2 and 3 only
  CHECK(result.products == 2 * m + shared.krylov.products);
  CHECK(result.shared_products == plain.lanczos_steps);
  // Later runs keep the starts they have without a shared first run.
  const SlqResult alone = slq(DenseOperator(a), options);
  CHECK((result.runs[2].nodes - alone.runs[2].nodes).cwiseAbs().maxCoeff() < 1e-12);
  // n v^T A v of the shared run is its start's Rayleigh quotient times n.
  CHECK_THAT(static_cast<double>(n) * first.weights.dot(first.nodes),
             WithinRel(static_cast<double>(n) * start.dot(a * start), 1e-10));
}

TEST_CASE("no shared run after a warm start, under a product budget, beyond the basis, or of another length",
          "[unit]") {
  const Eigen::Index n = 100;
  const MatrixXd a = testing::with_spectrum(testing::nn_like_spectrum(n, 8), 34);
  DenseOperator op(a);
  const EigenOptions eigen = cold_solve(2, 0, 30);
  CHECK(extreme_eigenpairs(op, Spectrum::kLargest, eigen).krylov.steps == 30);
  EigenOptions warm = eigen;
  warm.warm_start = {VectorXd::Ones(n)};
  CHECK(extreme_eigenpairs(op, Spectrum::kLargest, warm).krylov.steps == 0);
  // Each case below converges inside the unrestarted basis, so only the rule under test can
  // withhold the run (a restarted solve would never share it).
  EigenOptions budget = eigen;
  budget.max_products = 90;
  const EigenResult under_budget = extreme_eigenpairs(op, Spectrum::kLargest, budget);
  REQUIRE((under_budget.converged && under_budget.restarts == 0));
  CHECK(under_budget.krylov.steps == 0);
  EigenOptions small_basis = eigen;
  small_basis.max_basis = 25;
  const EigenResult in_small_basis = extreme_eigenpairs(op, Spectrum::kLargest, small_basis);
  REQUIRE((in_small_basis.converged && in_small_basis.restarts == 0 && in_small_basis.lanczos_steps < 25));
  CHECK(in_small_basis.krylov.steps == 0);
  EigenOptions negative = eigen;
  negative.krylov_steps = -1;
  CHECK_THROWS_WITH(extreme_eigenpairs(op, Spectrum::kLargest, negative), Catch::Contains("krylov_steps = -1"));

  const LanczosResult run = extreme_eigenpairs(op, Spectrum::kLargest, eigen).krylov;
  SlqOptions options;
  options.steps = 31;  // the run has 30 steps: not the density's length, so it is not used
  options.runs = 1;
  DenseOperator density_op(a);
  const SlqResult result = slq(density_op, options, &run);
  CHECK(result.shared_products == 0);
  CHECK(density_op.products() == 31);
}
