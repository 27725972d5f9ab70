// Repeated eigenvalues: one Krylov sequence meets each eigenspace in one direction, so the solvers
// verify a converged top-k by searching the deflated operator. Oracle: Eigen's dense
// SelfAdjointEigenSolver on the same matrix.
#include "test_prelude.hpp"

#include <Eigen/Eigenvalues>

#include <string>

#include "curvtrack/linalg/dense_operator.hpp"
#include "curvtrack/linalg/eigen_solver.hpp"
#include "test_matrices.hpp"

using namespace curvtrack::linalg;
using Catch::Matchers::StartsWith;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// S (x) I_C for a random 6 x 6 SPD S: every eigenvalue of S repeats C times, like the last
// Linear layer's GGN block (1/N) sum h h^T (x) I_C under the square loss.
MatrixXd kron_identity(const MatrixXd& s, Eigen::Index c) {
  MatrixXd out = MatrixXd::Zero(s.rows() * c, s.cols() * c);
  for (Eigen::Index i = 0; i < s.rows(); ++i) {
    for (Eigen::Index j = 0; j < s.cols(); ++j) out.block(i * c, j * c, c, c) = s(i, j) * MatrixXd::Identity(c, c);
  }
  return out;
}

MatrixXd layer_like(Eigen::Index c, std::uint64_t seed) {
  VectorXd lambda(6);
  lambda << 0.05, 0.13, 0.2, 0.344524, 0.571797, 0.64039;
  return kron_identity(testing::with_spectrum(lambda, seed), c);
}

// The k wanted dense eigenvalues in EigenResult's order.
VectorXd oracle(const MatrixXd& a, Spectrum which, int k) {
  const VectorXd all = Eigen::SelfAdjointEigenSolver<MatrixXd>(a, Eigen::EigenvaluesOnly).eigenvalues();
  VectorXd out(k);
  for (int i = 0; i < k; ++i) out[i] = which == Spectrum::kLargest ? all[all.size() - 1 - i] : all[i];
  return out;
}

const char* end_name(Spectrum which) { return which == Spectrum::kLargest ? "top" : "bottom"; }

// Values against the oracle, orthonormal vectors, reported residuals equal to recomputed ones,
// every product counted.
void check_result(const MatrixXd& a, const DenseOperator& op, Spectrum which, const EigenOptions& options,
                  const EigenResult& result) {
  const int k = options.k;
  const VectorXd expected = oracle(a, which, k);
  const double scale = a.norm();
  REQUIRE(result.converged);
  REQUIRE(result.status == "converged");
  REQUIRE(result.values.size() == k);
  CHECK(result.products == op.products());
  // Skipped for k = 1, and where the solve saw the whole space: the restarted solver's dense path
  // for tiny operators, a Lanczos basis of n vectors.
  const bool whole = options.method == EigenMethod::kRestarted ? automatic_ncv(k) >= a.rows()
                                                                : result.lanczos_steps == a.rows();
  CHECK(result.completeness_checked == (k >= 2 && !whole));
  if (!result.completeness_checked) CHECK(result.completeness_products == 0);
  CHECK((result.vectors.transpose() * result.vectors - MatrixXd::Identity(k, k)).cwiseAbs().maxCoeff() < 1e-8);
  for (int i = 0; i < k; ++i) {
    const VectorXd v = result.vectors.col(i);
    INFO("pair " << i << ": " << result.values[i] << ", oracle " << expected[i]);
    CHECK_THAT(result.values[i], WithinAbs(expected[i], 1e-9 * scale));
    CHECK_THAT(result.residuals[i], WithinAbs((a * v - result.values[i] * v).norm(), 1e-12 * scale));
    if (i > 0) CHECK((which == Spectrum::kLargest ? result.values[i - 1] >= result.values[i]
                                                  : result.values[i - 1] <= result.values[i]));
  }
}

// One solve with the given settings, checked by check_result; `label` names the case.
void solve_and_check(const MatrixXd& a, EigenMethod method, Spectrum which, int k, std::uint64_t seed,
                     const std::string& label) {
  DenseOperator op(a);
  EigenOptions options;
  options.k = k;
  options.method = method;
  options.seed = seed;
  const EigenResult result = extreme_eigenpairs(op, which, options);
  INFO(label << ", " << method_name(method) << ", " << end_name(which) << "-" << k << ", seed " << seed << ": "
             << result.status << ", products " << result.products << " (check " << result.completeness_products
             << ", added " << result.completeness_added << ")");
  check_result(a, op, which, options, result);
}

// Eigenvalues 10 (x3, spread by `spread` relative), 9, 8.5 over a bulk in [-1, 1]; mirrored at
// the bottom (-10 x3, -9, -8.5).
VectorXd clustered_ends(Eigen::Index n, double spread) {
  VectorXd lambda = VectorXd::LinSpaced(n, -1.0, 1.0);
  lambda.head(5) << -10.0 * (1 + 2 * spread), -10.0 * (1 + spread), -10.0, -9.0, -8.5;
  lambda.tail(5) << 8.5, 9.0, 10.0, 10.0 * (1 + spread), 10.0 * (1 + 2 * spread);
  return lambda;
}

}  // namespace

TEST_CASE("without the completeness check one Krylov sequence misses the copies of a repeated eigenvalue",
          "[unit]") {
  // The reference test's case: top eigenvalues 0.64039 x3 and 0.571797 x3, k = 3.
  const MatrixXd a = layer_like(3, 1);
  DenseOperator op(a);
  EigenOptions options;
  options.k = 3;
  options.check_completeness = false;
  const EigenResult plain = extreme_eigenpairs(op, Spectrum::kLargest, options);
  INFO(plain.status << ": " << plain.values.transpose());
  REQUIRE(plain.converged);  // accurate eigenpairs, just not the three largest
  CHECK_FALSE(plain.completeness_checked);
  CHECK_THAT(plain.values[0], WithinRel(0.64039, 1e-12));
  CHECK_THAT(plain.values[1], WithinRel(0.571797, 1e-12));
  options.check_completeness = true;
  const EigenResult checked = extreme_eigenpairs(op, Spectrum::kLargest, options);
  INFO(checked.status << ": " << checked.values.transpose());
  REQUIRE(checked.converged);
  CHECK(checked.completeness_added == 2);
  for (int i = 0; i < 3; ++i) CHECK_THAT(checked.values[i], WithinRel(0.64039, 1e-12));
}

TEST_CASE("S (x) I_C: every k, seed, method and end of the spectrum matches the dense solver", "[unit]") {
  for (Eigen::Index c : {2, 3, 10}) {
    const MatrixXd a = layer_like(c, 7 + c);
    for (EigenMethod method : {EigenMethod::kLanczos, EigenMethod::kRestarted}) {
      for (Spectrum which : {Spectrum::kLargest, Spectrum::kSmallest}) {
        for (int k = 1; k <= 2 * c + 1; ++k) {
          for (std::uint64_t seed = 0; seed < 8; ++seed) {
            solve_and_check(a, method, which, k, seed, "C = " + std::to_string(c));
          }
        }
      }
    }
  }
}

TEST_CASE("exactly and nearly degenerate clusters (1e-12 relative) at both ends are returned whole", "[unit]") {
  const Eigen::Index n = 300;
  for (double spread : {0.0, 1e-12}) {
    const MatrixXd a = testing::with_spectrum(clustered_ends(n, spread), 31);
    for (EigenMethod method : {EigenMethod::kLanczos, EigenMethod::kRestarted}) {
      for (Spectrum which : {Spectrum::kLargest, Spectrum::kSmallest}) {
        for (int k : {2, 3, 4, 5}) {
          for (std::uint64_t seed = 0; seed < 4; ++seed) {
            solve_and_check(a, method, which, k, seed, spread == 0 ? "exact" : "spread 1e-12");
          }
        }
      }
    }
  }
}

TEST_CASE("a repeated eigenvalue just below (or at) the k-th leaves the answer and the set unchanged", "[unit]") {
  const Eigen::Index n = 300;
  for (double below : {7.9, 8.0}) {
    VectorXd lambda = VectorXd::LinSpaced(n, -1.0, 1.0);
    lambda.tail(6) << below, below, below, 8.0, 9.0, 10.0;
    const MatrixXd a = testing::with_spectrum(lambda, 32);
    for (EigenMethod method : {EigenMethod::kLanczos, EigenMethod::kRestarted}) {
      DenseOperator op(a);
      EigenOptions options;
      options.k = 3;
      options.method = method;
      const EigenResult result = extreme_eigenpairs(op, Spectrum::kLargest, options);
      INFO(method_name(method) << ", copies at " << below << ": " << result.status << ", check "
                               << result.completeness_products << " products");
      check_result(a, op, Spectrum::kLargest, options, result);
      CHECK(result.completeness_added == 0);
      CHECK_THAT(result.values[2], WithinRel(8.0, 1e-10));
    }
  }
}

TEST_CASE("the check's stopping bound does not certify past a missing pair barely above the k-th", "[unit]") {
  // Top: 1, 0.5000005 x2, 0.5, 0.4999. The first sequence finds one copy of 0.5000005 and
  // returns 0.5 as third; the deflated operator's top, the second copy, is 1e-6 above 0.5 and
  // 2e-4 above its neighbour 0.4999, so a loose stopping rule would call the set complete.
  const Eigen::Index n = 400;
  VectorXd lambda = VectorXd::LinSpaced(n, -0.3, 0.3);
  lambda.tail(5) << 0.4999, 0.5, 0.5000005, 0.5000005, 1.0;
  const MatrixXd a = testing::with_spectrum(lambda, 33);
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    DenseOperator op(a);
    EigenOptions options;
    options.k = 3;
    options.seed = seed;
    const EigenResult result = extreme_eigenpairs(op, Spectrum::kLargest, options);
    INFO("seed " << seed << ": " << result.status << ", check " << result.completeness_products << " products, added "
                 << result.completeness_added);
    check_result(a, op, Spectrum::kLargest, options, result);
  }
}

TEST_CASE("the check's products are counted, and a budget it exhausts makes the outcome not converged",
          "[unit]") {
  const MatrixXd a = testing::with_spectrum(clustered_ends(300, 0.0), 34);
  for (EigenMethod method : {EigenMethod::kLanczos, EigenMethod::kRestarted}) {
    EigenOptions options;
    options.k = 3;
    options.method = method;
    options.check_completeness = false;
    DenseOperator plain_op(a);
    const EigenResult plain = extreme_eigenpairs(plain_op, Spectrum::kLargest, options);
    REQUIRE(plain.converged);
    options.check_completeness = true;
    DenseOperator op(a);
    const EigenResult checked = extreme_eigenpairs(op, Spectrum::kLargest, options);
    INFO(method_name(method) << ": without the check " << plain.products << " products, with it "
                             << checked.products << " (" << checked.status << ")");
    REQUIRE(checked.converged);
    CHECK(checked.completeness_products > 0);
    CHECK(checked.products == plain.products + checked.completeness_products);  // the solve itself is unchanged
    CHECK(checked.products == op.products());

    // Budgets from the solve's own cost upwards: the first that ends inside the check must say so.
    // (The restarted solver plans its restarts by the budget, so its solve may need a little more.)
    bool ended_in_check = false;
    for (std::int64_t budget = plain.products; budget < plain.products + 60 && !ended_in_check; ++budget) {
      options.max_products = budget;
      DenseOperator tight_op(a);
      const EigenResult tight = extreme_eigenpairs(tight_op, Spectrum::kLargest, options);
      CHECK(tight.products <= budget);
      CHECK(tight.products == tight_op.products());
      if (!tight.completeness_checked) continue;
      INFO("budget " << budget << ": " << tight.status);
      ended_in_check = true;
      CHECK_FALSE(tight.converged);
      CHECK(tight.outcome == EigenOutcome::kBudgetSpent);
      CHECK_THAT(tight.status, StartsWith("not converged: completeness check spent the budget max_products = " +
                                          std::to_string(budget)));
      CHECK(tight.completeness_products == budget - plain.products);
      for (int i = 0; i < 3; ++i) {
        const VectorXd v = tight.vectors.col(i);
        CHECK_THAT(tight.residuals[i], WithinAbs((a * v - tight.values[i] * v).norm(), 1e-12 * a.norm()));
      }
    }
    CHECK(ended_in_check);
  }
}

TEST_CASE("a budget spent while converging a missing pair merges it, flagged unconverged", "[unit]") {
  // The reproducer: the check finds the second copy of 0.64039 at once (its first Ritz values
  // pass 0.571797); a budget that ends before the pair converges must still report honestly.
  const MatrixXd a = layer_like(3, 1);
  EigenOptions options;
  options.k = 3;
  options.check_completeness = false;
  DenseOperator plain_op(a);
  const std::int64_t solve = extreme_eigenpairs(plain_op, Spectrum::kLargest, options).products;
  options.check_completeness = true;
  for (std::int64_t extra = 1; extra <= 4; ++extra) {
    options.max_products = solve + extra;
    DenseOperator op(a);
    const EigenResult result = extreme_eigenpairs(op, Spectrum::kLargest, options);
    INFO("budget " << options.max_products << ": " << result.status << ", values " << result.values.transpose());
    CHECK(result.products <= options.max_products);
    if (result.converged) continue;  // the copy happened to converge within the budget
    CHECK(result.outcome == EigenOutcome::kBudgetSpent);
    CHECK_THAT(result.status, StartsWith("not converged: completeness check spent the budget"));
    CHECK(result.values[0] >= result.values[1]);
    CHECK(result.values[1] >= result.values[2]);
  }
}

TEST_CASE("a warm start from a degenerate top set still returns the whole cluster", "[unit]") {
  const MatrixXd a = layer_like(10, 3);
  DenseOperator op(a);
  EigenOptions options;
  options.k = 12;
  const EigenResult cold = extreme_eigenpairs(op, Spectrum::kLargest, options);
  check_result(a, op, Spectrum::kLargest, options, cold);
  for (int i = 0; i < options.k; ++i) options.warm_start.push_back(cold.vectors.col(i));
  options.seed = 5;
  DenseOperator warm_op(a);
  const EigenResult warm = extreme_eigenpairs(warm_op, Spectrum::kLargest, options);
  INFO(warm.status << ", products " << warm.products << ", added " << warm.completeness_added);
  check_result(a, warm_op, Spectrum::kLargest, options, warm);
}

TEST_CASE("on a non-degenerate spectrum the check adds a few products and changes nothing", "[unit]") {
  const VectorXd lambda = testing::nn_like_spectrum(2000, 3);
  DenseOperator op(testing::with_spectrum_fast(lambda, 4));
  for (EigenMethod method : {EigenMethod::kLanczos, EigenMethod::kRestarted}) {
    for (int k : {2, 5, 10}) {
      EigenOptions options;
      options.k = k;
      options.tol = 1e-8;
      options.method = method;
      options.check_completeness = false;
      const EigenResult plain = extreme_eigenpairs(op, Spectrum::kLargest, options);
      options.check_completeness = true;
      const EigenResult checked = extreme_eigenpairs(op, Spectrum::kLargest, options);
      WARN("NN-like n = 2000, top-" << k << " to 1e-8, " << method_name(method) << ": " << plain.products
                                    << " products without the check, " << checked.products << " with it");
      REQUIRE(checked.converged);
      CHECK(checked.completeness_added == 0);
      CHECK(checked.products == plain.products + checked.completeness_products);
      CHECK(checked.completeness_products <= 12);
      for (int i = 0; i < k; ++i) CHECK_THAT(checked.values[i], WithinRel(lambda[i], 1e-8));
    }
  }
}
