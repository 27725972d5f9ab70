#include "test_prelude.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include "curvtrack/curvature/curvature_operator.hpp"
#include "curvtrack/models/network.hpp"
#include "dense_reference.hpp"
#include "test_problem.hpp"
#include "test_support.hpp"

using namespace curvtrack;
using Catch::Matchers::WithinAbs;

namespace {

using testing::Problem;
using testing::make_problem;
using testing::relative_gap;

}  // namespace

TEST_CASE("HVP equals the analytic Hessian of softmax regression", "[unit]") {
  Problem problem = make_problem("mlp:4-3", 40, 2, 3);
  curvature::CurvatureOperator op(*problem.network, problem.inputs, problem.labels);
  auto parameters = problem.network->parameters();
  at::Tensor weight = parameters[0].detach().contiguous();
  at::Tensor bias = parameters[1].detach().contiguous();
  Eigen::MatrixXd w = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      weight.data_ptr<double>(), weight.size(0), weight.size(1));
  Eigen::VectorXd b = Eigen::Map<const Eigen::VectorXd>(bias.data_ptr<double>(), bias.numel());
  at::Tensor flat_inputs = problem.inputs.reshape({40, 4}).contiguous();
  Eigen::MatrixXd x = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      flat_inputs.data_ptr<double>(), 40, 4);

  Eigen::MatrixXd expected = testing::softmax_regression_hessian(w, b, x);
  Eigen::MatrixXd actual = testing::dense_from_operator(op);
  INFO("relative gap " << relative_gap(actual, expected));
  REQUIRE(relative_gap(actual, expected) < 1e-13);
  REQUIRE(op.products() == op.cols());
}

TEST_CASE("HVP equals the row-by-row and finite-difference Hessians of a tiny MLP and CNN", "[unit]") {
  auto spec = GENERATE(std::string("mlp:16-5-3:tanh"), std::string("cnn:2-3:tanh:classes=3:side=4"));
  Problem problem = make_problem(spec, 24, 4, 3);
  curvature::CurvatureOperator op(*problem.network, problem.inputs, problem.labels);
  Eigen::MatrixXd actual = testing::dense_from_operator(op);
  Eigen::MatrixXd by_rows = testing::row_by_row_hessian(*problem.network, problem.inputs, problem.labels);
  Eigen::MatrixXd by_differences =
      testing::finite_difference_hessian(*problem.network, problem.inputs, problem.labels, 1e-5);
  INFO(spec << ": n = " << op.cols() << ", gap to rows " << relative_gap(actual, by_rows)
            << ", gap to finite differences " << relative_gap(actual, by_differences));
  REQUIRE(relative_gap(actual, by_rows) < 1e-12);
  REQUIRE(relative_gap(actual, by_differences) < 1e-8);
  REQUIRE(relative_gap(actual, actual.transpose()) < 1e-12);
}

TEST_CASE("HVP does not depend on batching or graph caching", "[unit]") {
  Problem problem = make_problem("mlp:16-6-3:tanh", 50, 4, 3);
  curvature::CurvatureOperator whole(*problem.network, problem.inputs, problem.labels, curvature::OperatorOptions::in_batches(1024));
  curvature::CurvatureOperator batched(*problem.network, problem.inputs, problem.labels, curvature::OperatorOptions::in_batches(7));
  curvature::CurvatureOperator uncached(*problem.network, problem.inputs, problem.labels, curvature::OperatorOptions::in_batches(7, false));
  Eigen::MatrixXd reference = testing::dense_from_operator(whole);
  REQUIRE(relative_gap(testing::dense_from_operator(batched), reference) < 1e-13);
  REQUIRE(relative_gap(testing::dense_from_operator(uncached), reference) < 1e-13);
  REQUIRE_THAT(batched.loss(), WithinAbs(whole.loss(), 1e-14));
  Eigen::VectorXd gradient = testing::plain_gradient(*problem.network, problem.inputs, problem.labels);
  REQUIRE((batched.gradient() - gradient).cwiseAbs().maxCoeff() < 1e-14);
}

TEST_CASE("HVP is deterministic and float32 agrees with float64", "[unit]") {
  Problem problem = make_problem("cnn:3:tanh:classes=3:side=6", 30, 6, 3);
  curvature::CurvatureOperator exact(*problem.network, problem.inputs, problem.labels, curvature::OperatorOptions::in_batches(8));
  REQUIRE(curvature::determinism_gap(exact, 3) == 0.0);
  Eigen::MatrixXd reference = testing::dense_from_operator(exact);

  problem.network->to(at::kCPU, at::kFloat);
  curvature::CurvatureOperator single(*problem.network, problem.inputs, problem.labels, curvature::OperatorOptions::in_batches(8));
  REQUIRE(single.dtype() == at::kFloat);
  double gap = relative_gap(testing::dense_from_operator(single), reference);
  INFO("float32 relative gap " << gap);
  REQUIRE(gap < 1e-5);
  REQUIRE(gap > 0.0);  // it really ran in float32
}
