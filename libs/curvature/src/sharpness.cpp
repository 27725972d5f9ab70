#include "curvtrack/curvature/sharpness.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/curvature/probe_loss.hpp"

namespace curvtrack::curvature {
namespace {

using Tensors = std::vector<at::Tensor>;

// sqrt(sum of squares) over every tensor, accumulated in double.
double global_norm(const Tensors& tensors) {
  double sum = 0.0;
  for (const auto& tensor : tensors) sum += tensor.to(at::kDouble).pow(2).sum().item<double>();
  return std::sqrt(sum);
}

bool all_finite(const Tensors& tensors) {
  for (const auto& tensor : tensors) {
    if (!at::isfinite(tensor).all().item<bool>()) return false;
  }
  return true;
}


}  // namespace

void SharpnessOptions::check() const {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw core::UsageError("sharpness: " + message);
  };
  require(kind == "adaptive" || kind == "epsilon", "kind '" + kind + "' is not one of adaptive, epsilon");
  require(std::isfinite(rho) && rho > 0, "rho must be > 0, got " + std::to_string(rho));
  require(std::isfinite(eta) && eta >= 0, "eta must be >= 0, got " + std::to_string(eta));
  require(std::isfinite(epsilon) && epsilon > 0, "epsilon must be > 0, got " + std::to_string(epsilon));
  require(steps >= 0, "steps must be >= 0, got " + std::to_string(steps));
  require(std::isfinite(step_size) && step_size >= 0,
          "step_size must be >= 0 (0: default), got " + std::to_string(step_size));
  require(batch_size >= 1, "batch_size must be >= 1, got " + std::to_string(batch_size));
}

double SharpnessOptions::effective_step_size() const {
  if (step_size > 0) return step_size;
  if (kind == "epsilon") return 2.5 / std::max(steps, 1);
  return rho;
}

runs::SharpnessRecord SharpnessResult::record() const {
  runs::SharpnessRecord out;
  out.kind = kind;
  out.rho = options.rho;
  out.eta = options.eta;
  out.epsilon = options.epsilon;
  out.steps_requested = options.steps;
  out.step_size = options.effective_step_size();
  out.step_size_option = options.step_size;
  out.seed = options.seed;
  out.batch_size = options.batch_size;
  out.parameters_perturbed = "all";
  out.base_loss = base_loss;
  out.max_loss = max_loss;
  out.sharpness = sharpness;
  if (!std::isnan(percent)) out.percent = percent;
  out.steps = steps;
  out.gradient_evaluations = gradient_evaluations;
  out.loss_evaluations = loss_evaluations;
  out.seconds = seconds;
  out.status = status;
  return out;
}

SharpnessResult measure_sharpness(models::Network& network, const at::Tensor& inputs,
                                  const at::Tensor& labels, const SharpnessOptions& options) {
  options.check();
  const auto start_time = std::chrono::steady_clock::now();
  const bool adaptive = options.kind == "adaptive";
  SharpnessResult result;
  result.kind = options.kind;
  result.options = options;
  result.options.step_size = options.effective_step_size();
  result.percent = std::numeric_limits<double>::quiet_NaN();
  result.status = "ok";

  StateGuard guard(network);
  const Tensors& w0 = guard.parameters();
  if (w0.empty()) throw std::invalid_argument("sharpness: the model has no parameters");
  auto parameters = network.parameters();

  // The set in delta = e / scale: the L2 ball of radius rho, or the unit box.
  Tensors scale, delta;
  std::mt19937_64 rng(options.seed);
  for (const auto& w : w0) {
    scale.push_back(adaptive ? w.abs() + options.eta : (w.abs() + 1.0) * options.epsilon);
    delta.push_back(adaptive ? seeded_normal_like(w, rng) : seeded_uniform_like(w, rng) * 0.5);
  }
  if (adaptive) {
    const double norm = global_norm(delta);
    for (auto& d : delta) d.mul_(0.5 * options.rho / norm);
  }
  auto perturbation_of = [&](const Tensors& d) {
    Tensors e;
    for (std::size_t i = 0; i < d.size(); ++i) e.push_back(scale[i] * d[i]);
    return e;
  };
  auto move_to = [&](const Tensors& e) {
    c10::NoGradGuard no_grad;
    for (std::size_t i = 0; i < parameters.size(); ++i) parameters[i].copy_(w0[i] + e[i]);
  };

  result.base_loss = probe_loss(network, inputs, labels, options.batch_size, options.loss);
  result.loss_evaluations = 1;
  result.max_loss = result.base_loss;
  for (const auto& w : w0) result.perturbation.push_back(at::zeros_like(w));
  auto consider = [&](double loss, const Tensors& e) {
    if (loss > result.max_loss) {  // NaN never wins: a divergent iterate is no valid maximum
      result.max_loss = loss;
      result.perturbation = e;
    }
  };

  const double step = result.options.step_size;
  bool stopped = false;
  for (int t = 0; t < options.steps; ++t) {
    Tensors e = perturbation_of(delta);
    move_to(e);
    auto [loss, gradient] = probe_loss_and_gradient(network, inputs, labels, options.batch_size, options.loss);
    ++result.gradient_evaluations;
    consider(loss, e);
    if (!std::isfinite(loss) || !all_finite(gradient)) {
      result.status = "stopped: non-finite loss or gradient at step " + std::to_string(t);
      stopped = true;
      break;
    }
    c10::NoGradGuard no_grad;
    // Chain rule: d L(w0 + scale * delta) / d delta = scale * g.
    Tensors ascent;
    for (std::size_t i = 0; i < gradient.size(); ++i) ascent.push_back(scale[i] * gradient[i]);
    if (adaptive) {
      const double norm = global_norm(ascent);
      if (!(norm > 0)) {
        result.status = "stopped: zero gradient at step " + std::to_string(t);
        stopped = true;
        break;
      }
      for (std::size_t i = 0; i < delta.size(); ++i) delta[i].add_(ascent[i], step / norm);
      const double radius = global_norm(delta);
      if (radius > options.rho) {
        for (auto& d : delta) d.mul_(options.rho / radius);
      }
    } else {
      bool any = false;
      for (std::size_t i = 0; i < delta.size(); ++i) {
        at::Tensor direction = at::sign(ascent[i]);
        any = any || direction.ne(0).any().item<bool>();
        delta[i].add_(direction, step).clamp_(-1.0, 1.0);
      }
      if (!any) {
        result.status = "stopped: zero gradient at step " + std::to_string(t);
        stopped = true;
        break;
      }
    }
    ++result.steps;
  }
  if (!stopped) {  // the last iterate (or, with steps = 0, the random start)
    Tensors e = perturbation_of(delta);
    move_to(e);
    consider(probe_loss(network, inputs, labels, options.batch_size, options.loss), e);
    ++result.loss_evaluations;
  }

  result.sharpness = result.max_loss - result.base_loss;
  if (!adaptive) result.percent = 100.0 * result.sharpness / (1.0 + result.base_loss);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  return result;  // the guard restores parameters and buffers
}

}  // namespace curvtrack::curvature
