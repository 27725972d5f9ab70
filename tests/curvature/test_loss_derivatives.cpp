// models/loss.hpp: the losses against the formulas written out in tests/support, their
// output-space gradient and Hessian products against autograd, and target checks.
#include "test_prelude.hpp"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/utils.h>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/models/loss.hpp"
#include "dense_reference.hpp"
#include "test_support.hpp"

using namespace curvtrack;
using Catch::Matchers::Contains;
using models::Loss;
using testing::eigen_matrix;
using testing::relative_gap;

namespace {

struct Case {
  Loss loss;
  at::Tensor targets;
};

std::vector<Case> cases() {
  torch::manual_seed(21);
  return {{Loss::kCrossEntropy, at::randint(4, {6}, at::kLong)},
          {Loss::kMse, at::randint(4, {6}, at::kLong)},
          {Loss::kMse, at::randn({6, 4}, at::kDouble)}};
}

}  // namespace

TEST_CASE("Losses, output gradients and output Hessian products agree with autograd and the formulas", "[unit]") {
  for (const Case& c : cases()) {
    INFO(models::loss_names().name(c.loss) << " with targets of dim " << c.targets.dim());
    torch::manual_seed(22);
    at::Tensor outputs = (3.0 * at::randn({6, 4}, at::kDouble)).requires_grad_(true);
    at::Tensor u = at::randn({6, 4}, at::kDouble);
    at::Tensor summed = models::summed_loss(c.loss, outputs, c.targets);
    const double expected = testing::reference_losses(c.loss, outputs, c.targets).sum().item<double>();
    REQUIRE(std::abs(summed.item<double>() - expected) < 1e-13 * std::abs(expected));
    REQUIRE(std::abs(models::mean_loss(c.loss, outputs, c.targets).item<double>() - expected / 6) <
            1e-13 * std::abs(expected));

    // dl/df by autograd, and (d^2 l / df^2) u by differentiating (dl/df . u) once more.
    at::Tensor gradient = torch::autograd::grad({summed}, {outputs}, {}, true, true)[0];
    at::Tensor hessian_u = torch::autograd::grad({(gradient * u).sum()}, {outputs})[0];
    const Eigen::MatrixXd output_gradient = eigen_matrix(models::output_gradient(c.loss, outputs, c.targets));
    const Eigen::MatrixXd output_hessian_u = eigen_matrix(models::output_hessian_product(c.loss, outputs, u));
    REQUIRE(relative_gap(output_gradient, eigen_matrix(gradient)) < 1e-14);
    REQUIRE(relative_gap(output_hessian_u, eigen_matrix(hessian_u)) < 1e-14);

    // The same from the Eigen formulas the dense references use, row by row.
    const Eigen::MatrixXd f = eigen_matrix(outputs), t = testing::target_rows(c.targets, 4), uu = eigen_matrix(u);
    Eigen::MatrixXd formula_gradient(6, 4), formula_hessian_u(6, 4);
    for (Eigen::Index i = 0; i < 6; ++i) {
      const Eigen::VectorXd row = f.row(i).transpose();
      formula_gradient.row(i) = testing::output_space_gradient(c.loss, row, t.row(i).transpose()).transpose();
      formula_hessian_u.row(i) = (testing::output_space_hessian(c.loss, row) * uu.row(i).transpose()).transpose();
    }
    INFO("gaps to the formulas " << relative_gap(formula_gradient, output_gradient) << ", "
                                 << relative_gap(formula_hessian_u, output_hessian_u));
    REQUIRE(relative_gap(formula_gradient, output_gradient) < 1e-14);
    REQUIRE(relative_gap(formula_hessian_u, output_hessian_u) < 1e-14);
    REQUIRE_FALSE(models::output_gradient(c.loss, outputs, c.targets).requires_grad());
  }
}

TEST_CASE("check_targets accepts fitting targets and names the data set and shapes otherwise", "[unit]") {
  const at::Tensor labels = at::tensor(std::vector<std::int64_t>{0, 2, 1});
  const at::Tensor rows = at::zeros({3, 3}, at::kDouble);
  REQUIRE_NOTHROW(models::check_targets(Loss::kCrossEntropy, labels, 3, "probe set"));
  REQUIRE_NOTHROW(models::check_targets(Loss::kMse, labels, 3, "probe set"));
  REQUIRE_NOTHROW(models::check_targets(Loss::kMse, rows, 3, "probe set"));
  REQUIRE_NOTHROW(models::check_targets(Loss::kMse, rows.to(at::kFloat), 3, "probe set"));

  REQUIRE_THROWS_AS(models::check_targets(Loss::kCrossEntropy, labels, 2, "probe set"), core::DataError);
  REQUIRE_THROWS_WITH(models::check_targets(Loss::kCrossEntropy, labels, 2, "probe set"),
                      Contains("probe set") && Contains("[0, 2]") && Contains("2 outputs"));
  REQUIRE_THROWS_WITH(models::check_targets(Loss::kMse, at::tensor(std::vector<std::int64_t>{-1, 0}), 3, "train"),
                      Contains("train") && Contains("[-1, 0]"));
  REQUIRE_THROWS_WITH(models::check_targets(Loss::kCrossEntropy, labels.reshape({3, 1}), 3, "train"),
                      Contains("train") && Contains("[3, 1]") && Contains("[N]"));
  REQUIRE_THROWS_AS(models::check_targets(Loss::kCrossEntropy, rows, 3, "train"), core::DataError);
  REQUIRE_THROWS_WITH(models::check_targets(Loss::kCrossEntropy, rows, 3, "train"),
                      Contains("train") && Contains("mse"));
  REQUIRE_THROWS_WITH(models::check_targets(Loss::kMse, at::zeros({3, 4}, at::kDouble), 3, "train"),
                      Contains("train") && Contains("[3, 4]") && Contains("[N, 3]"));
  REQUIRE_THROWS_AS(models::check_targets(Loss::kMse, at::zeros({3}, at::kDouble), 3, "train"), core::DataError);

  REQUIRE_THROWS_AS(models::summed_loss(Loss::kCrossEntropy, at::zeros({3, 3}, at::kDouble), rows), core::UsageError);
}
