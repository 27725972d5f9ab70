#include "test_prelude.hpp"

#include "curvtrack/linalg/dense_operator.hpp"
#include "curvtrack/linalg/eigen_solver.hpp"
#include "curvtrack/linalg/power_iteration.hpp"
#include "test_matrices.hpp"

using namespace curvtrack::linalg;
using Catch::Matchers::WithinRel;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// Top eigenvalues 100, 90, 81, ...: ratios of 0.9 make power iteration slow, as on real Hessians.
VectorXd slow_decay_spectrum(Eigen::Index n) {
  VectorXd lambda(n);
  for (Eigen::Index i = 0; i < n; ++i) lambda[i] = i < 10 ? 100.0 * std::pow(0.9, static_cast<double>(i)) : 1.0 - 2.0 * i / n;
  return lambda;
}

}  // namespace

TEST_CASE("power iteration's stopping rule leaves errors far above 1e-8 where Lanczos reaches 1e-8", "[unit]") {
  const VectorXd lambda = slow_decay_spectrum(400);
  DenseOperator op(testing::with_spectrum(lambda, 51));
  const PowerResult power = power_iteration(op, 3, 1e-3, 100, 5);
  EigenOptions options;
  options.k = 3;
  options.tol = 1e-8;
  const EigenResult lanczos = extreme_eigenpairs(op, Spectrum::kLargest, options);
  REQUIRE(lanczos.converged);
  for (int i = 0; i < 3; ++i) {
    const double power_error = std::abs(power.values[i] - lambda[i]) / lambda[i];
    const double lanczos_error = std::abs(lanczos.values[i] - lambda[i]) / lambda[i];
    WARN("eigenvalue " << i << ": power iteration error " << power_error << " after " << power.iterations[i]
                       << " products; Lanczos error " << lanczos_error);
    CHECK(power_error > 1e-6);
    CHECK(lanczos_error < 1e-8);
  }
  WARN("products: power iteration " << power.products << ", Lanczos " << lanczos.products);
  CHECK(power.products == power.iterations[0] + power.iterations[1] + power.iterations[2]);
}

TEST_CASE("power iteration finds a well-separated top eigenpair with one product per iteration", "[unit]") {
  VectorXd lambda = VectorXd::LinSpaced(100, -1.0, 1.0);
  lambda[99] = 50.0;
  DenseOperator op(testing::with_spectrum(lambda, 52));
  const PowerResult power = power_iteration(op, 1, 1e-3, 100, 6);
  CHECK_THAT(power.values[0], WithinRel(50.0, 1e-3));
  CHECK(power.iterations[0] < 10);
  CHECK(op.products() == power.iterations[0]);
  CHECK_THAT(power.vectors.col(0).norm(), WithinRel(1.0, 1e-12));
}
