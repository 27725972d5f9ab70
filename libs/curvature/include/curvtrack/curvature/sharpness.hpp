#pragma once
// Worst-case sharpness around the current weights (docs/methods.md sections 3.5-3.6): adaptive sharpness
// (Kwon et al. 2021, ASAM; Andriushchenko et al. 2023) and epsilon-sharpness (Keskar et al. 2017),
// both max L(w+e) - L(w) over a weight-scaled set, by projected gradient ascent.
//
// Every trainable parameter is perturbed, biases and BatchNorm affine parameters included
// (the loss slices leave those out; the sharpness definitions in the cited papers perturb all
// weights, and with the |w|-scaled sets a bias or BN scale near zero barely moves anyway).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "curvtrack/runs/curvature_record.hpp"
#include <string>
#include <vector>

#include "curvtrack/models/loss.hpp"
#include "curvtrack/models/network.hpp"

namespace curvtrack::curvature {

/// What to maximise and how hard to try.
struct SharpnessOptions {
  /// The loss probed.
  models::Loss loss = models::Loss::kCrossEntropy;
  /// "adaptive": ||e / (|w| + eta)||_2 <= rho; "epsilon": |e_i| <= epsilon (|w_i| + 1).
  std::string kind = "adaptive";
  /// Adaptive radius (dimensionless: relative perturbation of each weight, L2 over all weights).
  double rho = 0.05;
  /// Adaptive offset added to |w| (weight units); 0 gives exact invariance to layer rescaling.
  double eta = 0.0;
  /// Box half-width of the epsilon kind, relative to |w_i| + 1.
  double epsilon = 1e-3;
  /// Projected gradient-ascent steps (gradient evaluations over the probe set); 0 only
  /// evaluates the random start.
  int steps = 10;
  /// Step length in the rescaled variable delta = e / scale: adaptive, an L2 length (same units
  /// as rho); epsilon, the per-coordinate sign step in units of the box half-width. 0 picks the
  /// default: adaptive rho (normalised-gradient steps on the sphere then halve the angle to the
  /// ascent direction each step), epsilon 2.5 / steps (the PGD-Linf convention).
  double step_size = 0.0;
  /// Seeds the random start (std::mt19937_64, not torch's RNG): adaptive, a uniform direction
  /// at radius rho / 2; epsilon, uniform in the box scaled by 1/2.
  std::uint64_t seed = 0;
  /// Probe examples per forward pass; per-batch results are averaged weighted by batch size.
  std::int64_t batch_size = 1024;

  /// Throws core::UsageError (an std::invalid_argument) naming the offending option.
  void check() const;
  /// The step length actually used (resolves step_size == 0).
  double effective_step_size() const;
};

/// The outcome of one maximisation; the losses are mean cross-entropy in nats.
struct SharpnessResult {
  std::string kind;                   ///< "adaptive" or "epsilon"
  double base_loss = 0.0;             ///< L(w)
  double max_loss = 0.0;              ///< the largest L(w+e) seen over e = 0 and every iterate
  double sharpness = 0.0;             ///< max_loss - base_loss (>= 0, a lower bound on the true max)
  double percent = 0.0;               ///< epsilon kind: 100 sharpness / (1 + base_loss); NaN for adaptive
  int steps = 0;                      ///< gradient-ascent steps performed (fewer than asked on a stop)
  std::int64_t gradient_evaluations = 0;  ///< loss+gradient passes over the probe set
  std::int64_t loss_evaluations = 0;      ///< loss-only passes (L(w) and the last iterate)
  double seconds = 0.0;               ///< wall time
  std::string status;                 ///< "ok", or "stopped: <why>" (zero gradient, non-finite loss)
  /// The best perturbation e (parameter units), aligned with network.parameters(); zeros when no
  /// iterate beat L(w). L(w + e) recomputed equals max_loss.
  std::vector<at::Tensor> perturbation;
  SharpnessOptions options;           ///< the options used (step_size resolved)

  /// Every option plus the measured values, as recorded.
  runs::SharpnessRecord record() const;
};

/// Maximises L(w+e) over the set the options name, by projected gradient ascent in the rescaled
/// variable delta = e / scale (scale = |w| + eta for adaptive, epsilon (|w| + 1) for epsilon), in
/// which the set is the L2 ball of radius rho (step: delta += step * g/||g||_2, then radial
/// projection) or the unit box (step: delta += step * sign(g), then clamp). The network is used
/// as given (callers set eval mode, dtype and device); parameters and buffers are restored bit
/// for bit afterwards, also when it throws. Throws std::invalid_argument for bad options or probe set.
SharpnessResult measure_sharpness(models::Network& network, const at::Tensor& inputs,
                                  const at::Tensor& labels, const SharpnessOptions& options);

}  // namespace curvtrack::curvature
