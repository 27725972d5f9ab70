#pragma once
// One optimizer step on one batch, and evaluation over a dataset: the pieces the trainer and
// the LR range test share.

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "curvtrack/models/network.hpp"
#include "curvtrack/train/optimizer.hpp"

namespace curvtrack::train {

/// What one step measured on its batch, before the update.
struct StepResult {
  double loss;            ///< mean cross-entropy of the batch
  double accuracy;        ///< fraction of the batch classified correctly
  double gradient_norm;   ///< global L2 norm of the batch gradient
};

/// Forward, backward, then optimizer.step(lr, momentum); the network must be in training mode.
StepResult train_step(models::Network& network, Optimizer& optimizer, const at::Tensor& inputs,
                      const at::Tensor& labels, double lr, double momentum);

/// Mean loss and accuracy over a dataset.
struct Evaluation {
  double loss;
  double accuracy;
};

/// Evaluates in eval mode without gradients, `batch_size` examples at a time, then restores
/// the training mode given by `restore_training`.
Evaluation evaluate(models::Network& network, const at::Tensor& inputs, const at::Tensor& labels,
                    std::int64_t batch_size, bool restore_training);

/// Global L2 norm of a list of tensors (weights, gradients).
double global_norm(const std::vector<at::Tensor>& tensors);

}  // namespace curvtrack::train
