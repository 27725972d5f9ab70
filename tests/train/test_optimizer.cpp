#include "test_prelude.hpp"

#include <ATen/ATen.h>

#include <cmath>
#include <vector>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/train/optimizer.hpp"

using namespace curvtrack;
using Catch::Matchers::WithinRel;

namespace {

// One scalar parameter x with loss 0.5*a*x^2 + b*x, so the gradient is a*x + b: the update
// rules can be followed by hand in plain doubles.
struct Scalar {
  at::Tensor x = at::full({1}, 1.5, at::kDouble).requires_grad_(true);
  double a = 2.0, b = -0.5;
  void set_gradient() { x.mutable_grad() = at::full({1}, a * x.item<double>() + b, at::kDouble); }
};

}  // namespace

TEST_CASE("SGD follows PyTorch's heavy-ball rule with coupled weight decay and changing momentum", "[unit]") {
  auto nesterov = GENERATE(false, true);
  Scalar p;
  train::OptimizerOptions options;
  options.nesterov = nesterov;
  options.weight_decay = 0.1;
  auto optimizer = train::make_optimizer({p.x}, options);
  double x = 1.5, buffer = 0;
  const std::vector<double> lrs = {0.1, 0.2, 0.05, 0.3}, momenta = {0.9, 0.85, 0.95, 0.0};
  for (std::size_t t = 0; t < lrs.size(); ++t) {
    p.set_gradient();
    optimizer->step(lrs[t], momenta[t]);
    double g = p.a * x + p.b + 0.1 * x;
    double m = momenta[t];
    if (m != 0.0) {
      buffer = t == 0 ? g : m * buffer + g;
      g = nesterov ? g + m * buffer : buffer;
    }
    x -= lrs[t] * g;
    REQUIRE_THAT(p.x.item<double>(), WithinRel(x, 1e-13));
  }
  REQUIRE(optimizer->steps() == 4);
  REQUIRE_THAT(optimizer->stability_limit(0.9), WithinRel(nesterov ? 3.8 / 2.8 : 3.8, 1e-15));
}

TEST_CASE("AdamW follows PyTorch's rule with decoupled decay and bias correction by this step's beta1", "[unit]") {
  Scalar p;
  train::OptimizerOptions options;
  options.name = "adamw";
  options.weight_decay = 0.01;
  auto optimizer = train::make_optimizer({p.x}, options);
  double x = 1.5, m1 = 0, m2 = 0;
  const std::vector<double> lrs = {1e-2, 3e-2, 2e-2}, betas = {0.95, 0.9, 0.85};
  for (std::size_t t = 0; t < lrs.size(); ++t) {
    p.set_gradient();
    double g = p.a * x + p.b;
    optimizer->step(lrs[t], betas[t]);
    double step = static_cast<double>(t + 1);
    x *= 1 - lrs[t] * 0.01;
    m1 = betas[t] * m1 + (1 - betas[t]) * g;
    m2 = 0.999 * m2 + 0.001 * g * g;
    double denominator = std::sqrt(m2) / std::sqrt(1 - std::pow(0.999, step)) + 1e-8;
    x -= lrs[t] / (1 - std::pow(betas[t], step)) * m1 / denominator;
    REQUIRE_THAT(p.x.item<double>(), WithinRel(x, 1e-14));
  }
  REQUIRE(std::isnan(optimizer->stability_limit(0.9)));
}

TEST_CASE("optimizer state round-trips so a restored optimizer continues identically", "[unit]") {
  auto name = GENERATE(std::string("sgd"), std::string("adamw"));
  train::OptimizerOptions options;
  options.name = name;
  Scalar original, restored;
  auto first = train::make_optimizer({original.x}, options);
  original.set_gradient();
  first->step(0.1, 0.9);
  {
    at::NoGradGuard no_grad;
    restored.x.copy_(original.x);
  }
  auto second = train::make_optimizer({restored.x}, options);
  second->load_state(first->state(), first->steps());
  original.set_gradient();
  restored.set_gradient();
  first->step(0.1, 0.9);
  second->step(0.1, 0.9);
  REQUIRE(original.x.item<double>() == restored.x.item<double>());
}

TEST_CASE("bad optimizer options are usage errors naming the key", "[unit]") {
  train::OptimizerOptions options;
  options.name = "lbfgs";
  REQUIRE_THROWS_WITH(options.check(), Catch::Matchers::Contains("optim.name"));
  options = {};
  options.weight_decay = -1;
  REQUIRE_THROWS_AS(options.check(), core::UsageError);
  options = {};
  options.name = "adamw";
  options.nesterov = true;
  REQUIRE_THROWS_WITH(options.check(), Catch::Matchers::Contains("optim.nesterov"));
}
