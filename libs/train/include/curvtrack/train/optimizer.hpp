#pragma once
// Optimizers whose learning rate and momentum (or Adam's beta1) are set at every step by the
// schedule, with PyTorch's update rules, and whose state can be checkpointed exactly.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "curvtrack/core/options.hpp"

namespace curvtrack::train {

/// Settings shared by the optimizers ([optim] section).
struct OptimizerOptions {
  std::string name = "sgd";     ///< sgd | adamw
  bool nesterov = false;        ///< SGD only
  double weight_decay = 0.0;    ///< SGD: coupled L2 added to the gradient; AdamW: decoupled
  double beta2 = 0.999;         ///< AdamW
  double eps = 1e-8;            ///< AdamW
  /// Binds every optim.* key to its field.
  void bind(core::OptionBindings& bindings);
  /// Throws core::UsageError naming the optim.* key at fault.
  void check() const;
};

/// Updates parameters from their .grad() fields.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  /// One update with this step's learning rate and momentum (SGD momentum or Adam's beta1).
  virtual void step(double lr, double momentum) = 0;
  /// State tensors for a checkpoint (their number depends only on the parameters and steps()).
  virtual std::vector<at::Tensor> state() const = 0;
  /// Restores state() output taken after `steps` updates.
  virtual void load_state(const std::vector<at::Tensor>& state, std::int64_t steps) = 0;
  /// Updates made so far.
  virtual std::int64_t steps() const = 0;
  /// Largest stable lr * lambda_max for a quadratic at this momentum: heavy ball 2(1+b),
  /// Nesterov (2+2b)/(1+2b); NaN for AdamW (its limit applies to the preconditioned Hessian).
  virtual double stability_limit(double momentum) const = 0;
  /// "sgd(momentum from schedule, nesterov=false, weight_decay=0)" and the like.
  virtual std::string describe() const = 0;
};

/// Makes the optimizer named in `options` over `parameters`.
std::unique_ptr<Optimizer> make_optimizer(std::vector<at::Tensor> parameters, const OptimizerOptions& options);

}  // namespace curvtrack::train
