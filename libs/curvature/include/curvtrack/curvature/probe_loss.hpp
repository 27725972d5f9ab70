#pragma once
// The mean loss of a network over a probe set, its gradient, and in-place moves of the
// parameters (perturb, snapshot, restore) for the measures that probe the loss around w.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "curvtrack/models/loss.hpp"
#include "curvtrack/models/network.hpp"

namespace curvtrack::curvature {

/// Mean `loss` (cross-entropy in nats per example, or the square loss) of `network` over
/// (inputs, labels: class labels or target rows), in batches of
/// `batch_size` weighted by batch size, without gradients. The network is used as given (mode,
/// dtype, device); inputs are converted to the parameters' dtype and device.
/// In training mode BatchNorm layers update their running statistics: callers that want them
/// kept snapshot the buffers. Throws std::invalid_argument for batch_size < 1, an empty probe
/// set or a label count that differs from the input count.
double probe_loss(models::Network& network, const at::Tensor& inputs, const at::Tensor& labels,
                  std::int64_t batch_size, models::Loss loss = models::Loss::kCrossEntropy);

/// The mean loss as probe_loss() and its gradient with respect to every parameter
/// (aligned with network.parameters(), each of the parameter's shape, dtype and device), the
/// per-batch gradients averaged weighted by batch size. Sets requires_grad on the parameters.
std::pair<double, std::vector<at::Tensor>> probe_loss_and_gradient(models::Network& network,
                                                                   const at::Tensor& inputs,
                                                                   const at::Tensor& labels,
                                                                   std::int64_t batch_size, models::Loss loss = models::Loss::kCrossEntropy);

/// w += scale * direction, in place and without autograd; `direction` is aligned with
/// network.parameters() (same shapes). Throws std::invalid_argument for a count or shape mismatch.
void add_to_parameters(models::Network& network, const std::vector<at::Tensor>& direction,
                       double scale);

/// Detached copies of the parameters (not aliasing them), for restore_parameters().
std::vector<at::Tensor> snapshot_parameters(models::Network& network);

/// Copies a snapshot back into the parameters in place (bit for bit; the parameter tensors and
/// their requires_grad flags are kept). Throws std::invalid_argument for a count or shape mismatch.
void restore_parameters(models::Network& network, const std::vector<at::Tensor>& snapshot);

/// Detached copies of the buffers (BatchNorm running statistics), for restore_buffers().
std::vector<at::Tensor> snapshot_buffers(models::Network& network);

/// Copies a snapshot of the buffers back in place. Throws std::invalid_argument for a mismatch.
void restore_buffers(models::Network& network, const std::vector<at::Tensor>& snapshot);

/// Snapshots parameters and buffers on construction and copies them back (bit for bit) on
/// destruction, also during stack unwinding; for measures that move the weights.
class StateGuard {
 public:
  explicit StateGuard(models::Network& network);
  ~StateGuard();
  StateGuard(const StateGuard&) = delete;
  StateGuard& operator=(const StateGuard&) = delete;
  /// The parameters as they were at construction.
  const std::vector<at::Tensor>& parameters() const { return parameters_; }

 private:
  models::Network& network_;
  std::vector<at::Tensor> parameters_;
  std::vector<at::Tensor> buffers_;
};

/// A tensor shaped like `like` (its dtype and device) of standard normal draws from `rng`, in
/// row-major order, by Box-Muller on 53-bit uniforms: unlike std::normal_distribution the
/// values do not depend on the standard library, so a seed names the same tensor everywhere.
at::Tensor seeded_normal_like(const at::Tensor& like, std::mt19937_64& rng);

/// As seeded_normal_like() with uniform draws in [-1, 1).
at::Tensor seeded_uniform_like(const at::Tensor& like, std::mt19937_64& rng);

}  // namespace curvtrack::curvature
