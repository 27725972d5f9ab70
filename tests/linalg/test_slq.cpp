#include "test_prelude.hpp"

#include <cmath>

#include "curvtrack/linalg/dense_operator.hpp"
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
