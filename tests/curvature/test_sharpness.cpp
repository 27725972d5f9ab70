#include "test_prelude.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/utils.h>

#include <cmath>
#include <iomanip>
#include <limits>

#include "curvtrack/curvature/curvature_operator.hpp"
#include "curvtrack/curvature/probe_loss.hpp"
#include "curvtrack/curvature/sharpness.hpp"
#include "curvtrack/linalg/eigen_solver.hpp"
#include "curvtrack/models/network.hpp"
#include "test_problem.hpp"
#include "torch_support.hpp"

using namespace curvtrack;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

using testing::Problem;
using testing::make_problem;
using testing::bit_identical;

double lambda_max(models::Network& network, const at::Tensor& inputs, const at::Tensor& labels) {
  curvature::CurvatureOperator op(network, inputs, labels);
  linalg::EigenOptions options;
  options.k = 1;
  linalg::EigenResult result = linalg::extreme_eigenpairs(op, linalg::Spectrum::kLargest, options);
  REQUIRE(result.converged);
  return result.values[0];
}

double dot(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  double sum = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) sum += (a[i] * b[i]).sum().item<double>();
  return sum;
}

}  // namespace

TEST_CASE("Adaptive sharpness is invariant to rescaling ReLU layers while lambda_max is not", "[unit]") {
  const double a = GENERATE(3.0, 0.2);
  Problem original = make_problem("mlp:16-6-3:relu", 40, 4, 3);
  Problem scaled = make_problem("mlp:16-6-3:relu", 40, 4, 3);
  {
    // (W1, b1, W2, b2) -> (a W1, a b1, W2 / a, b2): relu(a z) = a relu(z) for a > 0.
    c10::NoGradGuard no_grad;
    auto parameters = scaled.network->parameters();
    REQUIRE(parameters.size() == 4);
    parameters[0].mul_(a);
    parameters[1].mul_(a);
    parameters[2].div_(a);
  }
  at::Tensor logits = original.network->forward(original.inputs).detach();
  at::Tensor scaled_logits = scaled.network->forward(scaled.inputs).detach();
  const double logit_gap = (logits - scaled_logits).abs().max().item<double>();
  INFO("a = " << a << ", largest logit difference " << logit_gap);
  REQUIRE(logit_gap < 1e-13);

  curvature::SharpnessOptions options;
  options.kind = "adaptive";
  options.rho = 0.1;
  options.eta = 0.0;
  options.steps = 10;
  options.seed = 5;
  auto before = curvature::measure_sharpness(*original.network, original.inputs, original.labels, options);
  auto after = curvature::measure_sharpness(*scaled.network, scaled.inputs, scaled.labels, options);
  const double lambda_before = lambda_max(*original.network, original.inputs, original.labels);
  const double lambda_after = lambda_max(*scaled.network, scaled.inputs, scaled.labels);
  INFO(std::setprecision(17) << "adaptive sharpness " << before.sharpness << " -> " << after.sharpness << " (relative change "
                             << std::abs(after.sharpness - before.sharpness) / before.sharpness
                             << "); lambda_max " << lambda_before << " -> " << lambda_after
                             << " (ratio " << lambda_after / lambda_before << ")");
  REQUIRE(before.sharpness > 1e-3);  // the ascent found something to be invariant about
  REQUIRE_THAT(after.sharpness, WithinRel(before.sharpness, 1e-10));
  REQUIRE_THAT(after.base_loss, WithinRel(before.base_loss, 1e-13));
  const double ratio = lambda_after / lambda_before;
  REQUIRE((ratio > 2.0 || ratio < 0.5));
}

TEST_CASE("Sharpness is a non-negative maximum attained at a feasible perturbation, parameters untouched",
          "[unit]") {
  const std::string kind = GENERATE(std::string("adaptive"), std::string("epsilon"));
  Problem problem = make_problem("mlp:16-6-3:tanh", 50, 4, 3);
  curvature::SharpnessOptions options;
  options.kind = kind;
  options.rho = 0.2;
  options.eta = 0.01;
  options.epsilon = 0.05;
  options.steps = 8;
  options.seed = 3;
  options.batch_size = 16;  // four batches, the last one short
  auto weights = curvature::snapshot_parameters(*problem.network);
  auto result = curvature::measure_sharpness(*problem.network, problem.inputs, problem.labels, options);
  INFO(kind << ": " << result.record().to_json().dump());
  REQUIRE(result.status == "ok");
  REQUIRE(result.steps == 8);
  REQUIRE(result.gradient_evaluations == 8);
  REQUIRE(result.sharpness > 0.0);
  REQUIRE(result.sharpness == result.max_loss - result.base_loss);
  REQUIRE(bit_identical(curvature::snapshot_parameters(*problem.network), weights));
  REQUIRE_THAT(result.base_loss,
               WithinAbs(curvature::probe_loss(*problem.network, problem.inputs, problem.labels, 1024), 1e-14));

  // Feasibility, with the scale recomputed here from the definitions.
  double worst = 0.0;  // adaptive: ||e / (|w| + eta)||_2 / rho; epsilon: max |e_i| / (epsilon (|w_i| + 1))
  double squares = 0.0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    at::Tensor e = result.perturbation[i];
    if (kind == "adaptive") {
      squares += (e / (weights[i].abs() + options.eta)).pow(2).sum().item<double>();
    } else {
      worst = std::max(worst, (e.abs() / ((weights[i].abs() + 1.0) * options.epsilon)).max().item<double>());
    }
  }
  if (kind == "adaptive") worst = std::sqrt(squares) / options.rho;
  INFO("constraint used: " << worst);
  REQUIRE(worst <= 1.0 + 1e-12);
  REQUIRE(worst > 0.5);  // the maximiser is not the zero perturbation

  // The reported maximum is the loss at the reported perturbation.
  curvature::add_to_parameters(*problem.network, result.perturbation, 1.0);
  const double recomputed = curvature::probe_loss(*problem.network, problem.inputs, problem.labels, 1024);
  curvature::restore_parameters(*problem.network, weights);
  REQUIRE_THAT(recomputed, WithinAbs(result.max_loss, 1e-14));

  if (kind == "epsilon") {
    REQUIRE_THAT(result.percent, WithinRel(100.0 * result.sharpness / (1.0 + result.base_loss), 1e-15));
  } else {
    REQUIRE(std::isnan(result.percent));
  }
}

TEST_CASE("Sharpness restores BatchNorm running statistics when measured in training mode", "[unit]") {
  Problem problem = make_problem("cnn:2:relu:bn:classes=3:side=4", 12, 4, 3);
  problem.network->set_training(true);
  auto weights = curvature::snapshot_parameters(*problem.network);
  auto buffers = curvature::snapshot_buffers(*problem.network);
  curvature::SharpnessOptions options;
  options.steps = 3;
  auto result = curvature::measure_sharpness(*problem.network, problem.inputs, problem.labels, options);
  REQUIRE(result.sharpness >= 0.0);
  REQUIRE(bit_identical(curvature::snapshot_parameters(*problem.network), weights));
  REQUIRE(bit_identical(curvature::snapshot_buffers(*problem.network), buffers));
}

TEST_CASE("Adaptive sharpness grows with rho and approaches its second-order expansion", "[unit]") {
  Problem problem = make_problem("mlp:16-6-3:tanh", 60, 4, 3);
  curvature::SharpnessOptions options;
  options.eta = 0.0;
  options.steps = 10;
  options.seed = 1;

  double previous = 0.0;
  for (double rho : {0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2}) {
    options.rho = rho;
    auto result = curvature::measure_sharpness(*problem.network, problem.inputs, problem.labels, options);
    INFO("rho " << rho << ": sharpness " << result.sharpness << ", previous " << previous);
    REQUIRE(result.sharpness > previous);
    previous = result.sharpness;
  }

  // In delta = e / |w| the loss is L(w) + gt.delta + delta^T Ht delta / 2 + O(rho^3) with
  // gt = |w| g and Ht = diag|w| H diag|w|, whose maximum over the rho-ball is
  // rho ||gt|| + rho^2 u^T Ht u / 2 + O(rho^3), u = gt / ||gt||.
  auto [loss, gradient] = curvature::probe_loss_and_gradient(*problem.network, problem.inputs, problem.labels, 1024);
  auto weights = curvature::snapshot_parameters(*problem.network);
  std::vector<at::Tensor> scaled_gradient;
  for (std::size_t i = 0; i < weights.size(); ++i) scaled_gradient.push_back(weights[i].abs() * gradient[i]);
  const double norm = std::sqrt(dot(scaled_gradient, scaled_gradient));
  std::vector<at::Tensor> direction;  // diag|w| u, in parameter space
  for (std::size_t i = 0; i < weights.size(); ++i) direction.push_back(weights[i].abs() * scaled_gradient[i] / norm);
  curvature::CurvatureOperator op(*problem.network, problem.inputs, problem.labels);
  at::Tensor flat_direction = curvature::flatten(direction);
  const double curvature_term = flat_direction.dot(op.apply(flat_direction)).item<double>();
  for (double rho : {1e-2, 3e-3, 1e-3}) {
    options.rho = rho;
    auto result = curvature::measure_sharpness(*problem.network, problem.inputs, problem.labels, options);
    const double first = rho * norm;
    const double second = first + 0.5 * rho * rho * curvature_term;
    INFO("rho " << rho << ": sharpness " << result.sharpness << ", first order " << first
                << ", second order " << second << ", gap / second-order term "
                << (result.sharpness - second) / (0.5 * rho * rho * std::abs(curvature_term)));
    // The ascent must capture the first-order term and most of the second-order one.
    REQUIRE(std::abs(result.sharpness - second) < 0.1 * 0.5 * rho * rho * std::abs(curvature_term));
  }
}

TEST_CASE("Sharpness options are checked and recorded", "[unit]") {
  Problem problem = make_problem("mlp:4-3", 5, 2, 3);
  curvature::SharpnessOptions options;
  auto bad = [&](auto&& change) {
    curvature::SharpnessOptions copy = options;
    change(copy);
    REQUIRE_THROWS_AS(curvature::measure_sharpness(*problem.network, problem.inputs, problem.labels, copy),
                      std::invalid_argument);
  };
  bad([](auto& o) { o.kind = "flat"; });
  bad([](auto& o) { o.rho = 0.0; });
  bad([](auto& o) { o.eta = -1.0; });
  bad([](auto& o) { o.epsilon = -1e-3; });
  bad([](auto& o) { o.steps = -1; });
  bad([](auto& o) { o.step_size = std::nan(""); });
  bad([](auto& o) { o.batch_size = 0; });

  options.kind = "epsilon";
  options.steps = 4;
  auto result = curvature::measure_sharpness(*problem.network, problem.inputs, problem.labels, options);
  nlohmann::json settings = result.record().to_json();
  for (const char* key : {"kind", "rho", "eta", "epsilon", "steps", "step_size", "seed", "batch_size",
                          "base_loss", "max_loss", "sharpness", "percent", "gradient_evaluations", "seconds"}) {
    INFO(key);
    REQUIRE(settings.contains(key));
  }
  REQUIRE(settings["step_size"].get<double>() == 2.5 / 4);
}
