#include "curvtrack/train/optimizer.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"

namespace curvtrack::train {
namespace {

// SGD as torch.optim.SGD with dampening 0: buf = m*buf + g (buf = g at the first step);
// heavy ball uses buf, Nesterov g + m*buf; coupled weight decay adds wd*p to g.
class Sgd : public Optimizer {
 public:
  Sgd(std::vector<at::Tensor> parameters, const OptimizerOptions& options)
      : parameters_(std::move(parameters)), options_(options), buffers_(parameters_.size()) {}

  void step(double lr, double momentum) override {
    c10::NoGradGuard no_grad;
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      at::Tensor& p = parameters_[i];
      if (!p.grad().defined()) continue;
      at::Tensor d_p = p.grad();
      if (options_.weight_decay != 0.0) d_p = d_p.add(p, options_.weight_decay);
      if (momentum != 0.0) {
        if (!buffers_[i].defined()) {
          buffers_[i] = d_p.clone();
        } else {
          buffers_[i].mul_(momentum).add_(d_p);
        }
        d_p = options_.nesterov ? d_p.add(buffers_[i], momentum) : buffers_[i];
      }
      p.add_(d_p, -lr);
    }
    ++steps_;
  }

  std::vector<at::Tensor> state() const override {
    std::vector<at::Tensor> state;
    for (std::size_t i = 0; i < buffers_.size(); ++i) {
      state.push_back(buffers_[i].defined() ? buffers_[i] : at::empty({0}, parameters_[i].options()));
    }
    return state;
  }

  void load_state(const std::vector<at::Tensor>& state, std::int64_t steps) override {
    if (state.size() != parameters_.size()) throw core::DataError("checkpoint has SGD state for a different model");
    for (std::size_t i = 0; i < state.size(); ++i) {
      buffers_[i] = state[i].numel() == 0 ? at::Tensor() : state[i].to(parameters_[i].options()).clone();
    }
    steps_ = steps;
  }

  std::int64_t steps() const override { return steps_; }

  double stability_limit(double momentum) const override {
    return options_.nesterov ? (2.0 + 2.0 * momentum) / (1.0 + 2.0 * momentum) : 2.0 * (1.0 + momentum);
  }

  std::string describe() const override {
    return std::string("sgd(momentum from schedule, nesterov=") + (options_.nesterov ? "true" : "false") +
           ", weight_decay=" + std::to_string(options_.weight_decay) + ", coupled)";
  }

 private:
  std::vector<at::Tensor> parameters_;
  OptimizerOptions options_;
  std::vector<at::Tensor> buffers_;
  std::int64_t steps_ = 0;
};

// AdamW as torch.optim.AdamW (amsgrad off): decoupled decay p *= 1 - lr*wd, then Adam with
// bias corrections 1 - beta^t using this step's beta1.
class AdamW : public Optimizer {
 public:
  AdamW(std::vector<at::Tensor> parameters, const OptimizerOptions& options)
      : parameters_(std::move(parameters)), options_(options) {
    for (const auto& p : parameters_) {
      first_.push_back(at::zeros_like(p));
      second_.push_back(at::zeros_like(p));
    }
  }

  void step(double lr, double beta1) override {
    c10::NoGradGuard no_grad;
    ++steps_;
    double correction1 = 1.0 - std::pow(beta1, static_cast<double>(steps_));
    double correction2 = 1.0 - std::pow(options_.beta2, static_cast<double>(steps_));
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      at::Tensor& p = parameters_[i];
      if (!p.grad().defined()) continue;
      const at::Tensor& g = p.grad();
      p.mul_(1.0 - lr * options_.weight_decay);
      first_[i].mul_(beta1).add_(g, 1.0 - beta1);
      second_[i].mul_(options_.beta2).addcmul_(g, g, 1.0 - options_.beta2);
      at::Tensor denominator = (second_[i].sqrt() / std::sqrt(correction2)).add_(options_.eps);
      p.addcdiv_(first_[i], denominator, -lr / correction1);
    }
  }

  std::vector<at::Tensor> state() const override {
    std::vector<at::Tensor> state(first_);
    state.insert(state.end(), second_.begin(), second_.end());
    return state;
  }

  void load_state(const std::vector<at::Tensor>& state, std::int64_t steps) override {
    if (state.size() != 2 * parameters_.size()) throw core::DataError("checkpoint has AdamW state for a different model");
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      first_[i] = state[i].to(parameters_[i].options()).clone();
      second_[i] = state[i + parameters_.size()].to(parameters_[i].options()).clone();
    }
    steps_ = steps;
  }

  std::int64_t steps() const override { return steps_; }

  double stability_limit(double) const override { return std::numeric_limits<double>::quiet_NaN(); }

  std::string describe() const override {
    return "adamw(beta1 from schedule, beta2=" + std::to_string(options_.beta2) + ", eps=" +
           std::to_string(options_.eps) + ", weight_decay=" + std::to_string(options_.weight_decay) + ", decoupled)";
  }

 private:
  std::vector<at::Tensor> parameters_;
  OptimizerOptions options_;
  std::vector<at::Tensor> first_, second_;
  std::int64_t steps_ = 0;
};

}  // namespace

const std::vector<std::string> kOptimizerNames = {"sgd", "adamw"};

void OptimizerOptions::bind(core::OptionBindings& bindings) {
  bindings.add("optim.name", name, "optimizer", kOptimizerNames);
  bindings.add("optim.nesterov", nesterov, "Nesterov momentum (sgd)");
  bindings.add("optim.weight_decay", weight_decay, "sgd: coupled L2; adamw: decoupled decay");
  bindings.add("optim.beta2", beta2, "adamw beta2");
  bindings.add("optim.eps", eps, "adamw epsilon");
}

void OptimizerOptions::check() const {
  if (std::find(kOptimizerNames.begin(), kOptimizerNames.end(), name) == kOptimizerNames.end()) {
    throw core::UsageError("optim.name '" + name + "' is not one of " + core::join(kOptimizerNames));
  }
  if (!(weight_decay >= 0)) throw core::UsageError("optim.weight_decay must be >= 0, got " + std::to_string(weight_decay));
  if (!(beta2 >= 0 && beta2 < 1)) throw core::UsageError("optim.beta2 must be in [0, 1), got " + std::to_string(beta2));
  if (!(eps > 0)) throw core::UsageError("optim.eps must be > 0, got " + std::to_string(eps));
  if (nesterov && name != "sgd") throw core::UsageError("optim.nesterov applies to sgd only");
}

std::unique_ptr<Optimizer> make_optimizer(std::vector<at::Tensor> parameters, const OptimizerOptions& options) {
  options.check();
  if (options.name == "adamw") return std::make_unique<AdamW>(std::move(parameters), options);
  return std::make_unique<Sgd>(std::move(parameters), options);
}

}  // namespace curvtrack::train
