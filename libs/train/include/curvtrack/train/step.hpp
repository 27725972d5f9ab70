#pragma once
// One optimizer step on one batch, and evaluation over a dataset: the pieces the trainer and
// the LR range test share.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "curvtrack/models/loss.hpp"
#include "curvtrack/models/network.hpp"
#include "curvtrack/train/optimizer.hpp"

namespace curvtrack::train {

/// What one step measured on its batch, before the update.
struct StepResult {
  double loss;            ///< mean loss of the batch
  double accuracy;        ///< fraction of the batch classified correctly
  double gradient_norm;   ///< global L2 norm of the batch gradient
};

/// Takes over a step's backward pass: gets the batch's mean loss (with its graph), the batch's
/// accuracy and size, and returns the gradient of that loss, one detached tensor per parameter, which the
/// update then uses. Curvature probes on the step's own graph compute it with create_graph.
using GradientHook =
    std::function<std::vector<at::Tensor>(const at::Tensor& loss, double accuracy, std::int64_t examples)>;

/// Forward, backward of the mean `loss` (labels: class labels or target rows), then
/// optimizer.step(lr, momentum); the network must be in training mode. With `gradient`, the hook
/// computes the gradient instead of loss.backward() (it must return the same values).
StepResult train_step(models::Network& network, Optimizer& optimizer, const at::Tensor& inputs,
                      const at::Tensor& labels, double lr, double momentum,
                      models::Loss loss = models::Loss::kCrossEntropy, const GradientHook& gradient = {});

/// Data parallelism: this process is `rank` of `ranks`; each rank takes its share of every
/// batch and the gradient is summed over the ranks, so R ranks with batch B each take the
/// same step as one rank with batch R x B (BatchNorm: each rank normalises its own share, and
/// the running statistics are averaged over the ranks after every step).
struct DataParallel {
  int rank = 0;
  int ranks = 1;
  std::function<void(at::Tensor&)> sum;  ///< in-place sum over the ranks; unset for one rank
  bool active() const { return ranks > 1; }
};

/// train_step for one rank's share (inputs, labels) of a batch of `batch_examples` over all
/// ranks: loss, accuracy and gradient are those of the whole batch on every rank.
StepResult train_step_shared(models::Network& network, Optimizer& optimizer, const at::Tensor& inputs,
                             const at::Tensor& labels, std::int64_t batch_examples, const DataParallel& parallel,
                             double lr, double momentum, models::Loss loss = models::Loss::kCrossEntropy);

/// Mean loss and accuracy over a dataset.
struct Evaluation {
  double loss;
  double accuracy;
};

/// Evaluates in eval mode without gradients, `batch_size` examples at a time, then restores
/// the training mode given by `restore_training`.
Evaluation evaluate(models::Network& network, const at::Tensor& inputs, const at::Tensor& labels,
                    std::int64_t batch_size, bool restore_training,
                    models::Loss loss = models::Loss::kCrossEntropy);

/// Global L2 norm of a list of tensors (weights, gradients).
double global_norm(const std::vector<at::Tensor>& tensors);

}  // namespace curvtrack::train
