#include "test_prelude.hpp"

#include <Eigen/Eigenvalues>

#include <cmath>
#include <stdexcept>

#include "curvtrack/linalg/certified_ritz.hpp"
#include "curvtrack/linalg/dense_operator.hpp"
#include "curvtrack/linalg/ritz_history.hpp"
#include "test_matrices.hpp"

using namespace curvtrack::linalg;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// A drifting operator: A(t) = G(t) A0 G(t)^T with A0 = Q diag(lambda) Q^T (outliers 8, 9.5, 12
// over a bulk in [-0.5, 1]) and G(t) the rotation by rate * t in the plane of A0's top eigenvector
// and a bulk eigenvector, so the top eigenvector turns at a constant rate; its exact value is
// G(t) u0.
struct DriftingOperator {
  static constexpr Eigen::Index n = 120;
  MatrixXd q = testing::random_orthogonal(n, 11);
  VectorXd lambda = [] {
    VectorXd l = VectorXd::LinSpaced(n, -0.5, 1.0);
    l.tail(3) << 8.0, 9.5, 12.0;
    return l;
  }();
  double rate = 0;

  MatrixXd rotation(double t) const {
    const VectorXd u = q.col(n - 1);
    const VectorXd w = q.col(0);
    const double c = std::cos(rate * t) - 1, s = std::sin(rate * t);
    // I + (cos - 1)(u u^T + w w^T) + sin (w u^T - u w^T): turns u towards w.
    return MatrixXd::Identity(n, n) + c * (u * u.transpose() + w * w.transpose()) +
           s * (w * u.transpose() - u * w.transpose());
  }
  MatrixXd at(double t) const {
    const MatrixXd g = rotation(t);
    const MatrixXd a = g * q * lambda.asDiagonal() * q.transpose() * g.transpose();
    return 0.5 * (a + a.transpose());
  }
  VectorXd top(double t) const { return rotation(t) * q.col(n - 1); }
};

double angle(const VectorXd& a, const VectorXd& b) {
  return std::acos(std::min(1.0, std::abs(a.normalized().dot(b.normalized()))));
}

}  // namespace

TEST_CASE("Ritz history: the extrapolated start is a second-order prediction of a turning eigenvector", "[unit]") {
  DriftingOperator drift;
  drift.rate = 0.005;  // 0.05 rad between probes 10 steps apart
  RitzHistory history;
  history.remember(10, drift.top(10));
  CHECK_FALSE(history.extrapolates_to(20));
  CHECK(history.start_for(20) == history.newest());
  history.remember(20, -drift.top(20));  // the solver's sign is arbitrary: the history aligns it
  REQUIRE(history.extrapolates_to(30));
  const VectorXd start = history.start_for(30);
  CHECK(start.norm() == Approx(1.0));
  // The newest vector is 0.05 rad off; the chord's extension about 5/6 * 0.05^3 (uniform turning).
  CHECK(angle(history.newest(), drift.top(30)) == Approx(0.05).epsilon(1e-9));
  CHECK(angle(start, drift.top(30)) < 2e-4);
  // The sign was turned: the start points along the newest vector, not against it.
  CHECK(start.dot(history.newest()) > 0.99);
}

TEST_CASE("Ritz history: extrapolated starts need fewer certified products than the previous vector", "[unit]") {
  DriftingOperator drift;
  drift.rate = 0.004;
  RitzHistory history;
  VectorXd previous;
  int products_previous = 0, products_extrapolated = 0, probes = 0;
  for (int step = 0; step <= 200; step += 10) {
    DenseOperator op(drift.at(step));
    const double lambda_max = 12.0;
    if (history.empty()) {
      history.remember(step, drift.top(step));
      previous = drift.top(step);
      continue;
    }
    const CertifiedRitz from_previous = certified_top_eigenpair(op, previous, {1e-3, 12});
    const CertifiedRitz from_history = certified_top_eigenpair(op, history.start_for(step), {1e-3, 12});
    INFO("step " << step << ": products " << from_previous.steps << " (previous) and " << from_history.steps
                 << " (extrapolated)");
    REQUIRE(from_previous.passed);
    REQUIRE(from_history.passed);
    // Both are certified against the dense truth: lambda_max = 12 within the residual.
    CHECK(std::abs(from_history.value - lambda_max) <= from_history.residual + 1e-12);
    CHECK(std::abs(from_previous.value - lambda_max) <= from_previous.residual + 1e-12);
    products_previous += from_previous.steps;
    products_extrapolated += from_history.steps;
    ++probes;
    // Each run tracks its own accepted vectors, as the trainer does.
    previous = from_previous.vector;
    history.remember(step, power_refined(from_history));
  }
  INFO("over " << probes << " probes: " << products_previous << " products from the previous vector, "
               << products_extrapolated << " extrapolated");
  CHECK(products_extrapolated * 4 <= products_previous * 3);
}

TEST_CASE("Ritz history: no extrapolation across a crossing, uneven steps reach one interval at most", "[unit]") {
  const Eigen::Index n = 6;
  RitzHistory history;
  history.remember(0, VectorXd::Unit(n, 0));
  history.remember(10, VectorXd::Unit(n, 1));  // orthogonal: another eigenvector took the top
  CHECK_FALSE(history.extrapolates_to(20));
  CHECK(history.start_for(20) == VectorXd::Unit(n, 1));

  VectorXd a = VectorXd::Unit(n, 0), b = VectorXd::Unit(n, 0);
  b[1] = 0.1;
  history.clear();
  history.remember(10, a);
  history.remember(100, b);
  // Steps 10, 100 and next 1000: (1000 - 100) / 90 = 10 intervals, capped at one.
  VectorXd expected = b.normalized() + (b.normalized() - a);
  CHECK((history.start_for(1000) - expected.normalized()).norm() < 1e-15);
  CHECK((history.start_for(145) - (b.normalized() + 0.5 * (b.normalized() - a)).normalized()).norm() < 1e-15);
  CHECK_FALSE(history.extrapolates_to(100));  // not beyond the newest step
}

TEST_CASE("Ritz history: restore, size changes and bad vectors", "[unit]") {
  RitzHistory history;
  VectorXd a(3), b(3);
  a << 1, 0, 0;
  b << 1, 0.2, 0;
  history.remember(5, a);
  history.remember(15, b);
  RitzHistory copy;
  copy.restore(history.steps(), history.vectors());
  CHECK(copy.steps() == history.steps());
  CHECK(copy.start_for(25) == history.start_for(25));
  // A vector of another length (other parameters probed) starts over.
  history.remember(25, VectorXd::Ones(4));
  CHECK(history.steps().size() == 1);
  CHECK(history.dimension() == 4);
  // A step that is not after the newest one starts over too.
  history.remember(25, VectorXd::Ones(4));
  CHECK(history.steps().size() == 1);
  CHECK_THROWS_AS(history.remember(30, VectorXd::Zero(4)), std::invalid_argument);
  VectorXd nan = VectorXd::Ones(4);
  nan[2] = std::nan("");
  CHECK_THROWS_AS(history.remember(30, nan), std::invalid_argument);
  CHECK_THROWS_AS(copy.restore({1, 2}, {a}), std::invalid_argument);
  RitzHistory empty;
  CHECK_THROWS_AS(empty.start_for(3), std::logic_error);
}
