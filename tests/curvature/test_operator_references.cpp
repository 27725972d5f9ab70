// CurvatureOperator (Hessian, GGN, empirical Fisher; cross-entropy and mse; any parameter subset)
// against dense float64 references assembled independently in tests/support/dense_reference.cpp.
#include "test_prelude.hpp"

#include "curvtrack/core/errors.hpp"
#include "operator_reference.hpp"

using namespace curvtrack;
using curvature::OperatorKind;
using testing::Agreement;
using testing::LossCase;
using testing::Problem;
using testing::Targets;
using testing::relative_gap;

namespace {

const std::vector<OperatorKind>& all_kinds() {
  static const std::vector<OperatorKind> kinds = {OperatorKind::kHessian, OperatorKind::kGgn,
                                                  OperatorKind::kEmpiricalFisher};
  return kinds;
}

std::string kind_name(OperatorKind kind) { return curvature::operator_kind_names().name(kind); }

// Smallest over largest absolute eigenvalue (>= -rounding for a PSD matrix).
double smallest_over_largest(const Eigen::MatrixXd& matrix) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(0.5 * (matrix + matrix.transpose()), Eigen::EigenvaluesOnly);
  return solver.eigenvalues().minCoeff() / solver.eigenvalues().cwiseAbs().maxCoeff();
}

}  // namespace

TEST_CASE("Each operator equals its dense reference: tiny MLP and CNN, both losses, labels and rows", "[unit]") {
  const std::string spec = GENERATE(std::string("mlp:4-5-3:tanh"), std::string("cnn:2-3:relu:classes=3:side=4"));
  const LossCase loss_case = GENERATE(from_range(testing::loss_cases()));
  const OperatorKind kind = GENERATE(from_range(all_kinds()));
  Problem problem = testing::make_targets_problem(spec, 12, testing::side_of(spec), 3, loss_case.targets);
  const Eigen::MatrixXd reference =
      testing::reference_matrix(kind, *problem.network, problem.inputs, problem.labels, loss_case.loss);
  curvature::CurvatureOperator op(*problem.network, problem.inputs, problem.labels,
                                  testing::operator_options(kind, loss_case.loss));
  REQUIRE_FALSE(testing::repeated_top(reference, 3));  // so the top-3 are compared in order
  const Agreement a = testing::agreement(op, reference, 3);
  INFO(spec << ", " << loss_case.name() << ", " << kind_name(kind) << ": n = " << op.cols() << ", entries "
            << a.entries << ", asymmetry " << a.asymmetry << ", top-3 " << a.top << ", trace " << a.trace
            << ", hutch++ trace " << a.hutchpp_trace);
  REQUIRE(a.entries < 1e-10);
  REQUIRE(a.asymmetry < 1e-12);
  REQUIRE(a.converged);
  REQUIRE(a.top < 1e-8);
  REQUIRE(a.trace < 1e-8);
  REQUIRE(a.hutchpp_trace < 1e-8);
  REQUIRE(op.kind() == kind);
  REQUIRE(std::abs(op.loss() - testing::reference_mean_loss(*problem.network, problem.inputs, problem.labels,
                                                            loss_case.loss)) < 1e-14);
  const Eigen::VectorXd gradient =
      testing::plain_gradient(*problem.network, problem.inputs, problem.labels, loss_case.loss);
  REQUIRE(relative_gap(op.gradient(), gradient) < 1e-12);
  if (curvature::positive_semidefinite(kind)) REQUIRE(smallest_over_largest(reference) > -1e-12);
}

TEST_CASE("The references and operators tell the three matrices apart", "[unit]") {
  const LossCase loss_case = GENERATE(from_range(testing::loss_cases()));
  INFO(loss_case.name());
  Problem problem = testing::make_targets_problem("mlp:4-5-3:tanh", 12, 2, 3, loss_case.targets);
  models::Network& network = *problem.network;
  auto dense = [&](OperatorKind kind) {
    curvature::CurvatureOperator op(network, problem.inputs, problem.labels, testing::operator_options(kind, loss_case.loss));
    return testing::dense_from_operator(op);
  };
  const Eigen::MatrixXd hessian = dense(OperatorKind::kHessian), ggn = dense(OperatorKind::kGgn),
                        fisher = dense(OperatorKind::kEmpiricalFisher);
  // A tanh network's Hessian has the residual term sum_i r_i . d^2 f_i: it differs from the GGN.
  INFO("gap GGN-Hessian " << relative_gap(ggn, hessian) << ", Fisher-GGN " << relative_gap(fisher, ggn));
  REQUIRE(relative_gap(ggn, hessian) > 1e-2);
  REQUIRE(relative_gap(fisher, ggn) > 1e-2);
  REQUIRE(relative_gap(fisher, hessian) > 1e-2);
  // The Hessian is indefinite here, the GGN and the Fisher are not.
  REQUIRE(smallest_over_largest(hessian) < -1e-6);
  REQUIRE(smallest_over_largest(ggn) > -1e-12);
  REQUIRE(smallest_over_largest(fisher) > -1e-12);

  // The empirical Fisher assembled a second way: (1/N) sum_i J_i^T r_i r_i^T J_i with r_i = dl_i/df_i.
  const std::vector<Eigen::MatrixXd> jacobians = testing::per_example_jacobians(network, problem.inputs);
  const Eigen::MatrixXd outputs = testing::output_rows(network, problem.inputs);
  const Eigen::MatrixXd targets = testing::target_rows(problem.labels, 3);
  Eigen::MatrixXd fisher_from_jacobians = Eigen::MatrixXd::Zero(hessian.rows(), hessian.cols());
  Eigen::MatrixXd gauss_newton = Eigen::MatrixXd::Zero(hessian.rows(), hessian.cols());
  for (Eigen::Index i = 0; i < outputs.rows(); ++i) {
    const Eigen::VectorXd g = jacobians[i].transpose() *
                              testing::output_space_gradient(loss_case.loss, outputs.row(i).transpose(),
                                                             targets.row(i).transpose());
    fisher_from_jacobians += g * g.transpose() / static_cast<double>(outputs.rows());
    gauss_newton += jacobians[i].transpose() * jacobians[i] / static_cast<double>(outputs.rows());
  }
  REQUIRE(relative_gap(fisher, fisher_from_jacobians) < 1e-12);
  if (loss_case.loss == models::Loss::kMse) {
    // The square loss's GGN is (1/N) sum_i J_i^T J_i.
    REQUIRE(relative_gap(ggn, gauss_newton) < 1e-12);
    // ... and its Hessian reference agrees with central differences of plain gradients.
    const Eigen::MatrixXd differences =
        testing::finite_difference_hessian(network, problem.inputs, problem.labels, 1e-5, loss_case.loss);
    INFO("Hessian gap to finite differences " << relative_gap(hessian, differences));
    REQUIRE(relative_gap(hessian, differences) < 1e-8);
  } else {
    REQUIRE(relative_gap(ggn, gauss_newton) > 1e-2);  // the cross-entropy GGN weighs by diag(p) - p p^T
  }
}

TEST_CASE("For a model linear in its parameters the GGN is the Hessian", "[unit]") {
  // Softmax regression: f = W x + b, so J does not depend on the parameters and G = H exactly,
  // the analytic (diag(p) - p p^T) kron [x;1][x;1]^T for cross-entropy.
  Problem problem = testing::make_problem("mlp:4-3", 20, 2, 3);
  curvature::CurvatureOperator ggn(*problem.network, problem.inputs, problem.labels,
                                   testing::operator_options(OperatorKind::kGgn, models::Loss::kCrossEntropy));
  auto parameters = problem.network->parameters();
  const Eigen::MatrixXd w = testing::eigen_matrix(parameters[0]);
  const Eigen::VectorXd b = testing::eigen_matrix(parameters[1]).col(0);
  const Eigen::MatrixXd x = testing::eigen_matrix(problem.inputs.reshape({20, 4}));
  const Eigen::MatrixXd analytic = testing::softmax_regression_hessian(w, b, x);
  INFO("gap to the analytic Hessian " << relative_gap(testing::dense_from_operator(ggn), analytic));
  REQUIRE(relative_gap(testing::dense_from_operator(ggn), analytic) < 1e-12);
}

TEST_CASE("Batching and graph caching do not change any operator", "[unit]") {
  const LossCase loss_case = GENERATE(from_range(testing::loss_cases()));
  const OperatorKind kind = GENERATE(from_range(all_kinds()));
  INFO(loss_case.name() << ", " << kind_name(kind));
  Problem problem = testing::make_targets_problem("cnn:2:tanh:classes=3:side=4", 13, 4, 3, loss_case.targets);
  const Eigen::MatrixXd reference =
      testing::reference_matrix(kind, *problem.network, problem.inputs, problem.labels, loss_case.loss);
  const Eigen::VectorXd gradient =
      testing::plain_gradient(*problem.network, problem.inputs, problem.labels, loss_case.loss);
  const double loss = testing::reference_mean_loss(*problem.network, problem.inputs, problem.labels, loss_case.loss);
  Eigen::MatrixXd whole;
  for (auto [batch_size, cache] : {std::pair<std::int64_t, bool>{1024, true}, {5, true}, {5, false}, {1, false}}) {
    curvature::CurvatureOperator op(*problem.network, problem.inputs, problem.labels,
                                    testing::operator_options(kind, loss_case.loss, {}, batch_size, cache));
    const Eigen::MatrixXd dense = testing::dense_from_operator(op);
    INFO("batch size " << batch_size << ", cache " << cache << ": gap " << relative_gap(dense, reference));
    REQUIRE(relative_gap(dense, reference) < 1e-10);
    if (whole.size() == 0) whole = dense;
    REQUIRE(relative_gap(dense, whole) < 1e-12);
    REQUIRE(relative_gap(op.gradient(), gradient) < 1e-12);
    REQUIRE(std::abs(op.loss() - loss) < 1e-14);
    REQUIRE(op.examples() == 13);
  }
}

TEST_CASE("An operator over a parameter subset is the principal submatrix of the full reference", "[unit]") {
  const LossCase loss_case = GENERATE(from_range(testing::loss_cases()));
  const OperatorKind kind = GENERATE(from_range(all_kinds()));
  Problem problem = testing::make_targets_problem("mlp:4-5-3:tanh", 12, 2, 3, loss_case.targets);
  const Eigen::MatrixXd reference =
      testing::reference_matrix(kind, *problem.network, problem.inputs, problem.labels, loss_case.loss);
  const Eigen::VectorXd gradient =
      testing::plain_gradient(*problem.network, problem.inputs, problem.labels, loss_case.loss);
  using Subset = std::vector<std::size_t>;
  for (const Subset& subset : {Subset{0, 1}, Subset{2, 3}, Subset{0, 3}, Subset{1}, Subset{0, 1, 2, 3}}) {
    const std::vector<Eigen::Index> positions = testing::flat_positions(*problem.network, subset);
    const Eigen::MatrixXd expected = testing::principal_submatrix(reference, positions);
    curvature::CurvatureOperator op(*problem.network, problem.inputs, problem.labels,
                                    testing::operator_options(kind, loss_case.loss, subset, 5));
    REQUIRE(op.rows() == static_cast<Eigen::Index>(positions.size()));
    const int k = static_cast<int>(std::min<Eigen::Index>(3, op.rows() - 1));
    const Agreement a = testing::agreement(op, expected, k);
    INFO(loss_case.name() << ", " << kind_name(kind) << ", " << subset.size() << " tensors from " << subset.front()
                          << ": n = " << op.rows() << ", entries " << a.entries << ", top-" << k << " " << a.top
                          << ", trace " << a.trace);
    REQUIRE(a.entries < 1e-10);
    REQUIRE(a.top < 1e-8);
    REQUIRE(a.trace < 1e-8);
    REQUIRE(a.hutchpp_trace < 1e-8);
    Eigen::VectorXd sub_gradient(static_cast<Eigen::Index>(positions.size()));
    for (std::size_t i = 0; i < positions.size(); ++i) sub_gradient[static_cast<Eigen::Index>(i)] = gradient[positions[i]];
    REQUIRE(relative_gap(op.gradient(), sub_gradient) < 1e-12);
  }
}

TEST_CASE("Parameter indices must be ascending and in range", "[unit]") {
  Problem problem = testing::make_problem("mlp:4-5-3:tanh", 6, 2, 3);
  for (std::vector<std::size_t> bad : {std::vector<std::size_t>{1, 0}, {0, 0}, {4}}) {
    REQUIRE_THROWS_AS(curvature::CurvatureOperator(*problem.network, problem.inputs, problem.labels,
                                                   testing::operator_options(OperatorKind::kGgn,
                                                                             models::Loss::kMse, bad)),
                      std::invalid_argument);
  }
}
