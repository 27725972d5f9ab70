#include "test_prelude.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <Eigen/Eigenvalues>
#include <random>

#include "curvtrack/curvature/step_graph.hpp"
#include "curvtrack/curvature/tracking.hpp"
#include "curvtrack/models/loss.hpp"
#include "dense_reference.hpp"
#include "test_problem.hpp"
#include "test_support.hpp"

using namespace curvtrack;

namespace {

using testing::Problem;
using testing::make_problem;
using testing::relative_gap;

// The step's graph: the mean loss of the problem's batch [begin, end), as a training step builds it.
curvature::StepGraphOperator step_operator(Problem& problem, std::int64_t begin, std::int64_t end) {
  at::Tensor outputs = problem.network->forward(problem.inputs.slice(0, begin, end));
  at::Tensor loss = models::mean_loss(models::Loss::kCrossEntropy, outputs, problem.labels.slice(0, begin, end));
  return curvature::StepGraphOperator(problem.network->parameters(), loss);
}

Eigen::VectorXd unit_noise(Eigen::Index n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = normal(rng);
  return v.normalized();
}

}  // namespace

TEST_CASE("the step-graph operator is the dense Hessian and its gradient the plain one", "[unit]") {
  Problem problem = make_problem("mlp:16-5-3:tanh", 24, 4, 3);
  curvature::StepGraphOperator op = step_operator(problem, 0, 24);
  Eigen::MatrixXd dense = testing::row_by_row_hessian(*problem.network, problem.inputs, problem.labels);
  Eigen::MatrixXd products = testing::dense_from_operator(op);
  INFO("gap " << relative_gap(products, dense));
  CHECK(relative_gap(products, dense) < 1e-12);
  CHECK(op.products() == op.cols());
  Eigen::VectorXd plain = testing::plain_gradient(*problem.network, problem.inputs, problem.labels);
  CHECK(relative_gap(op.gradient(), plain) < 1e-13);
}

TEST_CASE("the step-graph gradient is bit-identical to loss.backward()", "[unit]") {
  for (auto dtype : {at::kFloat, at::kDouble}) {
    Problem problem = make_problem("mlp:16-8-3:tanh", 40, 4, 3);
    problem.network->to(at::kCPU, dtype);
    auto parameters = problem.network->parameters();
    at::Tensor inputs = problem.inputs.to(dtype);
    at::Tensor loss = models::mean_loss(models::Loss::kCrossEntropy, problem.network->forward(inputs), problem.labels);
    loss.backward();
    std::vector<at::Tensor> expected;
    for (auto& p : parameters) {
      expected.push_back(p.grad().clone());
      p.mutable_grad() = at::Tensor();
    }
    at::Tensor again = models::mean_loss(models::Loss::kCrossEntropy, problem.network->forward(inputs), problem.labels);
    curvature::StepGraphOperator op(parameters, again);
    Eigen::VectorXd v = unit_noise(op.rows(), 1), hv(op.rows());
    op.perform_op(v.data(), hv.data());  // products must leave the gradient as it was
    std::vector<at::Tensor> actual = op.detached_gradient();
    REQUIRE(actual.size() == expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) CHECK(at::equal(actual[i], expected[i]));
    for (auto& p : parameters) CHECK_FALSE(p.grad().defined());
  }
}

TEST_CASE("a certified attempt on a model's Hessian passes only within its bound of the dense lambda_max", "[unit]") {
  Problem problem = make_problem("mlp:16-6-3:tanh", 48, 4, 3);
  curvature::StepGraphOperator op = step_operator(problem, 0, 48);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(
      testing::row_by_row_hessian(*problem.network, problem.inputs, problem.labels));
  const Eigen::Index n = op.rows();
  const double lambda_max = dense.eigenvalues()[n - 1];
  const Eigen::VectorXd top = dense.eigenvectors().col(n - 1);
  int passed = 0, failed = 0;
  for (double epsilon : {1e-4, 1e-3, 1e-2, 0.1, 0.5, 2.0}) {
    for (std::uint64_t seed = 0; seed < 4; ++seed) {
      curvature::TrackAttempt attempt =
          curvature::certified_attempt(op, top + epsilon * unit_noise(n, seed), true, {1e-3, 3});
      INFO("epsilon " << epsilon << ": theta " << attempt.ritz.value << " vs " << lambda_max << ", bound "
                      << attempt.certificate.bound);
      CHECK(attempt.certificate.residual == attempt.ritz.residual);
      CHECK(attempt.certificate.hvps == attempt.ritz.steps);
      if (attempt.certificate.passed) {
        ++passed;
        CHECK(std::abs(lambda_max - attempt.ritz.value) <= attempt.certificate.bound);
        CHECK(attempt.certificate.relative_bound <= 1e-3);
      } else {
        ++failed;
      }
    }
  }
  CHECK(passed > 0);
  // A random start, the warm vector gone bad, fails and so falls back.
  curvature::TrackAttempt bad = curvature::certified_attempt(op, unit_noise(n, 99), true, {1e-3, 3});
  CHECK_FALSE(bad.certificate.passed);
}

TEST_CASE("batch sharpness equals the dense lambda_max of that step's minibatch Hessian", "[unit]") {
  Problem problem = make_problem("mlp:16-6-3:tanh", 64, 4, 3);
  std::optional<Eigen::VectorXd> warm;
  for (std::int64_t begin : {0, 16, 32, 48}) {
    curvature::StepGraphOperator op = step_operator(problem, begin, begin + 16);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> dense(testing::row_by_row_hessian(
        *problem.network, problem.inputs.slice(0, begin, begin + 16), problem.labels.slice(0, begin, begin + 16)));
    const double lambda_max = dense.eigenvalues()[op.rows() - 1];
    curvature::BatchSharpness found = curvature::batch_sharpness(op, warm, {1e-6, 3}, 0, 5);
    INFO("batch at " << begin << ": " << found.record.lambda_max << " vs dense " << lambda_max);
    CHECK(std::abs(found.record.lambda_max - lambda_max) <= 1e-5 * lambda_max);
    CHECK(found.record.certificate.fell_back == found.record.fallback.has_value());
    CHECK(found.record.hvps == op.products());
    CHECK(found.vector.norm() == Approx(1.0));
    if (begin == 0) CHECK(found.record.certificate.fell_back);  // cold: a full solve
    warm = found.vector;
  }
}
