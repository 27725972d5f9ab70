#pragma once
// The loss along straight lines and planes through the current weights (docs/methods.md section 3.7):
// filter-normalised random directions (Li et al. 2018) and Hessian eigenvectors.

#include <ATen/core/Tensor.h>

#include <Eigen/Core>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "curvtrack/runs/curvature_record.hpp"
#include <string>
#include <vector>

#include "curvtrack/models/loss.hpp"
#include "curvtrack/models/network.hpp"

namespace curvtrack::curvature {

/// The grid of a slice.
struct SliceOptions {
  /// The loss probed.
  models::Loss loss = models::Loss::kCrossEntropy;
  /// Grid points per axis, >= 2; alpha_i = radius (2i - (points-1)) / (points-1), so an odd
  /// count puts alpha = 0 exactly on the grid.
  int points = 21;
  /// Largest |alpha| (and |beta|), in units of the direction.
  double radius = 1.0;
  /// Seed for callers drawing the directions (the slice functions themselves draw nothing).
  std::uint64_t seed = 0;
  /// Probe examples per forward pass.
  std::int64_t batch_size = 1024;

  /// Throws core::UsageError (an std::invalid_argument) naming the offending option.
  void check() const;
  /// The grid values of alpha (and beta).
  std::vector<double> grid() const;
};

/// Filter-normalised random direction (Li et al. 2018): for every parameter with two or more
/// dimensions (conv and linear weights) a Gaussian tensor whose every filter (slice along
/// dimension 0, the output units/channels) is rescaled to the L2 norm of the same filter of the
/// weights (a zero filter stays zero); biases and BatchNorm parameters (1-D tensors) get zeros
/// and consume no draws. Drawn from std::mt19937_64(seed) by seeded_normal_like() in parameter
/// order, not from torch's RNG, so every run gets the same direction for the same architecture.
/// Aligned with network.parameters(), in their dtype and device.
std::vector<at::Tensor> filter_normalised_direction(models::Network& network, std::uint64_t seed);

/// Losses at w + alpha d along one direction.
struct Slice1d {
  std::vector<double> alphas;
  std::vector<double> losses;  ///< mean cross-entropy (nats); NaN where the loss is not finite
  std::string direction;       ///< what d is, e.g. "filter-normalised seed 3" or "eigenvector 1"
};

/// Losses at w + alpha d1 + beta d2 over a grid.
struct Slice2d {
  std::vector<double> alphas;
  std::vector<double> betas;
  std::vector<double> losses;  ///< row-major: losses[i * betas.size() + j] at (alphas[i], betas[j])
};

/// The loss along `direction` (aligned with network.parameters()) at the grid of `options`.
/// The network is used as given (eval mode, dtype, device); parameters and buffers are restored
/// bit for bit afterwards. The point alpha = 0 evaluates w itself exactly (w + 0 d == w).
/// Throws std::invalid_argument for bad options or a direction of the wrong count or shapes.
Slice1d loss_slice_1d(models::Network& network, const at::Tensor& inputs, const at::Tensor& labels,
                      const std::vector<at::Tensor>& direction, const SliceOptions& options,
                      std::string name);

/// The loss over the plane spanned by d1 and d2 (grid of `options` on both axes), computed as
/// (w + alpha d1) + beta d2, so the row beta = 0 equals loss_slice_1d along d1 bit for bit.
/// Same contract as loss_slice_1d.
Slice2d loss_slice_2d(models::Network& network, const at::Tensor& inputs, const at::Tensor& labels,
                      const std::vector<at::Tensor>& d1, const std::vector<at::Tensor>& d2,
                      const SliceOptions& options);

/// Splits a flat vector (length parameter_count, e.g. a unit Hessian eigenvector from
/// linalg::extreme_eigenpairs over CurvatureOperator) into tensors shaped, typed and placed like the
/// parameters. The result keeps the vector's norm (a unit eigenvector stays unit, so alpha is in
/// parameter units, unlike the filter-normalised directions whose alpha is relative to the
/// weights). Throws std::invalid_argument for a length mismatch.
std::vector<at::Tensor> unflatten_like(const Eigen::VectorXd& flat, models::Network& network);

/// The slice as recorded: direction, alphas, losses (non-finite losses are written as null).
runs::Slice1dRecord slice_record(const Slice1d& slice);
/// The plane as recorded: alphas, betas, losses[i][j] at (alphas[i], betas[j]).
runs::Slice2dRecord slice_record(const Slice2d& slice);

}  // namespace curvtrack::curvature
