#include "test_prelude.hpp"

#include <cmath>
#include <random>

#include "curvtrack/linalg/dense_operator.hpp"
#include "curvtrack/linalg/eigen_solver.hpp"
#include "curvtrack/linalg/lanczos.hpp"
#include "curvtrack/linalg/random_vectors.hpp"
#include "curvtrack/linalg/trace.hpp"
#include "test_matrices.hpp"

using namespace curvtrack::linalg;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// The basis and products of `steps` Lanczos steps of `a` from a Gaussian start of `seed`.
std::shared_ptr<const KrylovBasis> lanczos_basis(const MatrixXd& a, int steps, std::uint64_t seed) {
  DenseOperator op(a);
  detail::OperatorRef ref(op);
  std::mt19937_64 rng(seed);
  detail::LanczosProcess process(ref, gaussian(a.rows(), rng), steps, /*keep_products=*/true);
  while (process.can_step()) process.step();
  return process.release_basis();
}

BlockTraceEstimates krylov_trace(const MatrixXd& a, const KrylovBasis& basis, int samples, std::uint64_t seed) {
  DenseOperator op(a);
  return estimate_block_traces(op, TraceMethod::kKrylov, samples, seed, {}, {}, &basis);
}

}  // namespace

TEST_CASE("the Krylov trace is exact, with no spread, when the basis spans the space", "[unit]") {
  const VectorXd lambda = VectorXd::LinSpaced(40, -3.0, 5.0);
  const MatrixXd a = testing::with_spectrum(lambda, 51);
  const auto basis = lanczos_basis(a, 40, 1);
  REQUIRE(basis->steps() == 40);
  DenseOperator op(a);
  const TraceEstimate est = estimate_block_traces(op, TraceMethod::kKrylov, 5, 2, {}, {}, basis.get()).whole;
  CHECK(est.value == Approx(lambda.sum()).margin(1e-9));
  CHECK(est.standard_error < 1e-9);
  CHECK(est.products == 5);  // the probes only: the basis's products are the solve's
  CHECK(op.products() == 5);
  CHECK(est.samples == 5);
}

TEST_CASE("the Krylov trace is unbiased and its standard error matches its spread over seeds", "[unit]") {
  const VectorXd lambda = VectorXd::LinSpaced(300, -2.0, 10.0);
  const MatrixXd a = testing::with_spectrum(lambda, 52);
  const auto basis = lanczos_basis(a, 20, 3);
  const int repeats = 300;
  VectorXd values(repeats);
  double mean_variance = 0;
  for (int r = 0; r < repeats; ++r) {
    const TraceEstimate est = krylov_trace(a, *basis, 10, 100 + static_cast<std::uint64_t>(r)).whole;
    values[r] = est.value;
    mean_variance += est.standard_error * est.standard_error / repeats;
  }
  const double spread = std::sqrt((values.array() - values.mean()).square().sum() / (repeats - 1));
  INFO("exact " << lambda.sum() << ", mean " << values.mean() << ", spread " << spread << ", mean reported SE "
                << std::sqrt(mean_variance));
  CHECK(std::abs(values.mean() - lambda.sum()) < 4 * spread / std::sqrt(double(repeats)));
  CHECK(spread * spread / mean_variance > 0.7);
  CHECK(spread * spread / mean_variance < 1.4);
}

TEST_CASE("deflating by a Lanczos basis that holds the large eigenvalues leaves a small remainder", "[unit]") {
  // Ten distinct eigenvalues in [100, 190] over 490 in [0, 0.01]: 30 Lanczos steps capture the
  // ten. (Ten copies of one value would not do: one Krylov sequence meets an eigenspace in a
  // single direction, so it would deflate one copy and leave nine to the probes; Hutch++'s block
  // sketch sees them all.)
  VectorXd lambda = VectorXd::LinSpaced(500, 0.0, 0.01);
  lambda.head(10) = VectorXd::LinSpaced(10, 100.0, 190.0);
  const MatrixXd a = testing::with_spectrum(lambda, 53);
  const auto basis = lanczos_basis(a, 30, 4);
  DenseOperator op(a);
  const TraceEstimate plain = hutchinson(op, 30, 9);
  const TraceEstimate deflated = krylov_trace(a, *basis, 30, 9).whole;
  INFO("exact " << lambda.sum() << "; hutchinson " << plain.value << " +- " << plain.standard_error << "; krylov "
                << deflated.value << " +- " << deflated.standard_error);
  CHECK(deflated.standard_error < 0.01 * plain.standard_error);
  CHECK(std::abs(deflated.value - lambda.sum()) < 3 * deflated.standard_error + 1e-9);
}

TEST_CASE("a Lanczos solve asked to keep its basis hands over the basis and its exact products", "[unit]") {
  const VectorXd lambda = VectorXd::LinSpaced(200, -1.0, 6.0);
  const MatrixXd a = testing::with_spectrum(lambda, 54);
  DenseOperator op(a);
  EigenOptions options;
  options.k = 3;
  options.tol = 1e-8;
  options.keep_krylov_basis = true;
  options.krylov_steps = 60;
  const EigenResult result = extreme_eigenpairs(op, Spectrum::kLargest, options);
  REQUIRE(result.converged);
  REQUIRE(result.krylov_basis != nullptr);
  const MatrixXd q = result.krylov_basis->basis();
  CHECK(q.cols() >= 60);
  CHECK((q.transpose() * q - MatrixXd::Identity(q.cols(), q.cols())).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((result.krylov_basis->products() - a * q).cwiseAbs().maxCoeff() < 1e-12);
  options.keep_krylov_basis = false;
  CHECK(extreme_eigenpairs(op, Spectrum::kLargest, options).krylov_basis == nullptr);
  CHECK_THROWS_AS(estimate_block_traces(op, TraceMethod::kKrylov, 5, 1, {}), std::invalid_argument);
}
