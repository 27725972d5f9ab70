#pragma once
// The per-example losses curvtrack trains and probes with (docs/methods.md section 2.1), and the
// two output-space derivatives the curvature operators need: the gradient of the loss with
// respect to the network's outputs and products with its Hessian there.
//
// Targets are int64 class labels [B] (for both losses; the square loss uses their one-hot rows)
// or float target rows [B, C] (square loss only).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "curvtrack/core/options.hpp"

namespace curvtrack::models {

/// The per-example loss l(f, t) of outputs f in R^C.
enum class Loss {
  kCrossEntropy,  ///< -log softmax(f)_y
  kMse,           ///< 1/2 ||f - t||^2 (the sum over the C outputs, halved: Cohen et al.'s square loss)
};

/// "cross-entropy", "mse".
const core::NamedValues<Loss>& loss_names();

/// Sum over the batch of the per-example losses (a differentiable scalar).
at::Tensor summed_loss(Loss loss, const at::Tensor& outputs, const at::Tensor& targets);

/// Mean over the batch of the per-example losses.
at::Tensor mean_loss(Loss loss, const at::Tensor& outputs, const at::Tensor& targets);

/// Examples whose largest output is the label (or the largest entry of the target row), as a
/// double scalar tensor.
at::Tensor correct_count(const at::Tensor& outputs, const at::Tensor& targets);

/// dl_i/df_i for every row [B, C], detached: softmax(f) - onehot(y), or f - t.
at::Tensor output_gradient(Loss loss, const at::Tensor& outputs, const at::Tensor& targets);

/// (d^2 l_i / df_i^2) u_i for every row [B, C], detached: diag(p) - p p^T applied to u
/// (p = softmax(f)), or u itself for the square loss.
at::Tensor output_hessian_product(Loss loss, const at::Tensor& outputs, const at::Tensor& u);

/// Checks that `targets` fit a loss over `classes` outputs: int64 [N] labels in [0, classes),
/// or (square loss only) floating [N, classes] rows. Throws core::DataError naming `what` (the
/// data set) and both shapes.
void check_targets(Loss loss, const at::Tensor& targets, std::int64_t classes, const std::string& what);

}  // namespace curvtrack::models
