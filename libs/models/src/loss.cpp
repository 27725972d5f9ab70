#include "curvtrack/models/loss.hpp"

#include <ATen/ATen.h>

#include "curvtrack/core/errors.hpp"

namespace curvtrack::models {
namespace {

std::string shape_text(const at::Tensor& tensor) {
  std::string out = "[";
  for (std::int64_t d = 0; d < tensor.dim(); ++d) out += (d ? ", " : "") + std::to_string(tensor.size(d));
  return out + "]";
}

bool holds_labels(const at::Tensor& targets) { return !at::isFloatingType(targets.scalar_type()); }

// The target rows of the square loss: one-hot labels, or the given rows.
at::Tensor target_rows(const at::Tensor& outputs, const at::Tensor& targets) {
  if (!holds_labels(targets)) return targets.to(outputs.scalar_type());
  return at::one_hot(targets.to(at::kLong), outputs.size(1)).to(outputs.scalar_type());
}

}  // namespace

const core::NamedValues<Loss>& loss_names() {
  static const core::NamedValues<Loss> names = {{Loss::kCrossEntropy, "cross-entropy"}, {Loss::kMse, "mse"}};
  return names;
}

at::Tensor summed_loss(Loss loss, const at::Tensor& outputs, const at::Tensor& targets) {
  if (loss == Loss::kCrossEntropy) {
    if (!holds_labels(targets)) throw core::UsageError("the cross-entropy loss needs class labels, not target rows");
    return at::cross_entropy_loss(outputs, targets.to(at::kLong), {}, at::Reduction::Sum);
  }
  return 0.5 * (outputs - target_rows(outputs, targets)).pow(2).sum();
}

at::Tensor mean_loss(Loss loss, const at::Tensor& outputs, const at::Tensor& targets) {
  return summed_loss(loss, outputs, targets) / static_cast<double>(outputs.size(0));
}

at::Tensor correct_count(const at::Tensor& outputs, const at::Tensor& targets) {
  at::Tensor labels = holds_labels(targets) ? targets.to(at::kLong) : targets.argmax(1);
  return outputs.detach().argmax(1).eq(labels).sum().to(at::kDouble);
}

at::Tensor output_gradient(Loss loss, const at::Tensor& outputs, const at::Tensor& targets) {
  at::Tensor f = outputs.detach();
  if (loss == Loss::kCrossEntropy) return at::softmax(f, 1) - target_rows(f, targets);
  return f - target_rows(f, targets);
}

at::Tensor output_hessian_product(Loss loss, const at::Tensor& outputs, const at::Tensor& u) {
  if (loss == Loss::kMse) return u;
  at::Tensor p = at::softmax(outputs.detach(), 1);
  return p * u - p * (p * u).sum(1, /*keepdim=*/true);
}

void check_targets(Loss loss, const at::Tensor& targets, std::int64_t classes, const std::string& what) {
  if (holds_labels(targets)) {
    if (targets.dim() != 1) {
      throw core::DataError(what + ": labels have shape " + shape_text(targets) + ", need [N]");
    }
    if (targets.numel() > 0) {
      const std::int64_t low = targets.min().item<std::int64_t>(), high = targets.max().item<std::int64_t>();
      if (low < 0 || high >= classes) {
        throw core::DataError(what + ": labels range over [" + std::to_string(low) + ", " + std::to_string(high) +
                              "] but the model has " + std::to_string(classes) + " outputs");
      }
    }
    return;
  }
  if (loss != Loss::kMse) {
    throw core::DataError(what + ": float targets " + shape_text(targets) +
                          " need loss = mse (cross-entropy takes int64 class labels)");
  }
  if (targets.dim() != 2 || targets.size(1) != classes) {
    throw core::DataError(what + ": targets have shape " + shape_text(targets) + " but the model has " +
                          std::to_string(classes) + " outputs (need [N, " + std::to_string(classes) + "])");
  }
}

}  // namespace curvtrack::models
