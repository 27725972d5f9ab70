#include "test_prelude.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <cmath>

#include "curvtrack/curvature/curvature_operator.hpp"
#include "curvtrack/curvature/loss_slices.hpp"
#include "curvtrack/curvature/probe_loss.hpp"
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

}  // namespace

TEST_CASE("Filter-normalised directions match the weights' filter norms, zero biases and BN, follow the seed",
          "[unit]") {
  Problem problem = make_problem("cnn:2-3:relu:bn:classes=3:side=4", 8, 4, 3);
  auto parameters = problem.network->parameters();
  auto names = problem.network->parameter_names();
  auto direction = curvature::filter_normalised_direction(*problem.network, 42);
  REQUIRE(direction.size() == parameters.size());
  int filtered = 0;
  int zeroed = 0;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    INFO(names[i] << " " << parameters[i].sizes());
    REQUIRE(direction[i].sizes() == parameters[i].sizes());
    REQUIRE(direction[i].scalar_type() == parameters[i].scalar_type());
    if (parameters[i].dim() <= 1) {
      REQUIRE(direction[i].abs().max().item<double>() == 0.0);
      ++zeroed;
      continue;
    }
    ++filtered;
    at::Tensor w_norms = parameters[i].detach().reshape({parameters[i].size(0), -1}).norm(2, {1});
    at::Tensor d_norms = direction[i].reshape({parameters[i].size(0), -1}).norm(2, {1});
    const double gap = ((d_norms - w_norms).abs() / w_norms).max().item<double>();
    INFO("largest relative filter-norm gap " << gap);
    REQUIRE(gap < 1e-12);
    // Not merely the weights themselves.
    REQUIRE((direction[i] - parameters[i].detach()).abs().max().item<double>() > 1e-3);
  }
  REQUIRE(filtered == 3);  // two convs and the classifier
  REQUIRE(zeroed == static_cast<int>(parameters.size()) - 3);

  REQUIRE(bit_identical(curvature::filter_normalised_direction(*problem.network, 42), direction));
  auto other = curvature::filter_normalised_direction(*problem.network, 43);
  REQUIRE((other[0] - direction[0]).abs().max().item<double>() > 1e-3);
  // The same architecture from a different init gets the same Gaussian draws: the directions
  // differ only by the filter norms.
  auto twin = models::make_network("cnn:2-3:relu:bn:classes=3:side=4", 8);
  twin->to(at::kCPU, at::kDouble);
  auto twin_direction = curvature::filter_normalised_direction(*twin, 42);
  at::Tensor ours = direction[0].reshape({direction[0].size(0), -1});
  at::Tensor theirs = twin_direction[0].reshape({direction[0].size(0), -1});
  at::Tensor cosines = (ours * theirs).sum(1) / (ours.norm(2, {1}) * theirs.norm(2, {1}));
  REQUIRE((cosines - 1.0).abs().max().item<double>() < 1e-12);
}

TEST_CASE("A 1-D slice passes through the probe loss at alpha = 0 and leaves the weights untouched", "[unit]") {
  Problem problem = make_problem("mlp:16-6-3:relu", 30, 4, 3);
  auto weights = curvature::snapshot_parameters(*problem.network);
  auto direction = curvature::filter_normalised_direction(*problem.network, 1);
  curvature::SliceOptions options;
  options.points = 21;
  options.radius = 0.5;
  options.batch_size = 7;
  auto slice = curvature::loss_slice_1d(*problem.network, problem.inputs, problem.labels, direction, options, "fn 1");
  REQUIRE(slice.alphas.size() == 21);
  REQUIRE(slice.losses.size() == 21);
  REQUIRE(slice.alphas.front() == -0.5);
  REQUIRE(slice.alphas.back() == 0.5);
  REQUIRE(slice.alphas[10] == 0.0);
  for (std::size_t i = 0; i < 21; ++i) REQUIRE(slice.alphas[i] == -slice.alphas[20 - i]);
  REQUIRE(bit_identical(curvature::snapshot_parameters(*problem.network), weights));
  const double loss = curvature::probe_loss(*problem.network, problem.inputs, problem.labels, 7);
  REQUIRE(slice.losses[10] == loss);
  // The slice moves: the ends differ from the centre.
  REQUIRE(std::abs(slice.losses.front() - loss) > 1e-4);
  REQUIRE(std::abs(slice.losses.back() - loss) > 1e-4);
  // An end point equals the loss at w + alpha d set up by hand.
  curvature::add_to_parameters(*problem.network, direction, 0.5);
  REQUIRE_THAT(curvature::probe_loss(*problem.network, problem.inputs, problem.labels, 7),
               WithinAbs(slice.losses.back(), 1e-14));
  curvature::restore_parameters(*problem.network, weights);

  nlohmann::json json = curvature::slice_record(slice).to_json();
  REQUIRE(json["direction"] == "fn 1");
  REQUIRE(json["alphas"].size() == 21);
  REQUIRE(json["losses"][10].get<double>() == loss);
}

TEST_CASE("The beta = 0 row of a 2-D slice is the 1-D slice along d1", "[unit]") {
  Problem problem = make_problem("cnn:2:tanh:classes=3:side=4", 20, 4, 3);
  auto weights = curvature::snapshot_parameters(*problem.network);
  auto d1 = curvature::filter_normalised_direction(*problem.network, 1);
  auto d2 = curvature::filter_normalised_direction(*problem.network, 2);
  curvature::SliceOptions options;
  options.points = 5;
  options.radius = 1.0;
  auto plane = curvature::loss_slice_2d(*problem.network, problem.inputs, problem.labels, d1, d2, options);
  auto line1 = curvature::loss_slice_1d(*problem.network, problem.inputs, problem.labels, d1, options, "d1");
  auto line2 = curvature::loss_slice_1d(*problem.network, problem.inputs, problem.labels, d2, options, "d2");
  REQUIRE(plane.losses.size() == 25);
  REQUIRE(bit_identical(curvature::snapshot_parameters(*problem.network), weights));
  for (std::size_t i = 0; i < 5; ++i) {
    INFO("alpha " << plane.alphas[i]);
    REQUIRE(plane.losses[i * 5 + 2] == line1.losses[i]);        // beta = 0 row
    REQUIRE_THAT(plane.losses[2 * 5 + i], WithinAbs(line2.losses[i], 1e-14));  // alpha = 0 column
  }
  nlohmann::json json = curvature::slice_record(plane).to_json();
  REQUIRE(json["losses"].size() == 5);
  REQUIRE(json["losses"][0].size() == 5);
  REQUIRE(json["losses"][1][3].get<double>() == plane.losses[1 * 5 + 3]);
}

TEST_CASE("A slice along the top Hessian eigenvector has second difference lambda_max", "[unit]") {
  Problem problem = make_problem("mlp:16-6-3:tanh", 40, 4, 3);
  curvature::CurvatureOperator op(*problem.network, problem.inputs, problem.labels);
  linalg::EigenOptions eigen;
  eigen.k = 1;
  auto top = linalg::extreme_eigenpairs(op, linalg::Spectrum::kLargest, eigen);
  REQUIRE(top.converged);
  auto direction = curvature::unflatten_like(top.vectors.col(0), *problem.network);
  // unflatten_like keeps the values and order of the flat vector.
  at::Tensor flat = curvature::flatten(direction);
  Eigen::VectorXd back = Eigen::Map<const Eigen::VectorXd>(flat.data_ptr<double>(), flat.numel());
  REQUIRE((back - top.vectors.col(0)).cwiseAbs().maxCoeff() == 0.0);

  curvature::SliceOptions options;
  options.points = 3;
  options.radius = 1e-3;
  auto slice = curvature::loss_slice_1d(*problem.network, problem.inputs, problem.labels, direction, options, "top");
  const double h = options.radius;
  const double second_difference = (slice.losses[0] - 2.0 * slice.losses[1] + slice.losses[2]) / (h * h);
  INFO("second difference " << second_difference << ", lambda_max " << top.values[0]);
  REQUIRE_THAT(second_difference, WithinRel(top.values[0], 1e-4));

  REQUIRE_THROWS_AS(curvature::unflatten_like(Eigen::VectorXd::Zero(3), *problem.network), std::invalid_argument);
}

TEST_CASE("Slice options and directions are checked", "[unit]") {
  Problem problem = make_problem("mlp:4-3", 5, 2, 3);
  auto direction = curvature::filter_normalised_direction(*problem.network, 0);
  curvature::SliceOptions options;
  options.points = 1;
  REQUIRE_THROWS_AS(curvature::loss_slice_1d(*problem.network, problem.inputs, problem.labels, direction, options, ""),
                    std::invalid_argument);
  options = {};
  options.radius = 0.0;
  REQUIRE_THROWS_AS(curvature::loss_slice_1d(*problem.network, problem.inputs, problem.labels, direction, options, ""),
                    std::invalid_argument);
  options = {};
  direction.pop_back();
  REQUIRE_THROWS_AS(curvature::loss_slice_1d(*problem.network, problem.inputs, problem.labels, direction, options, ""),
                    std::invalid_argument);
}
