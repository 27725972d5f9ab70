#pragma once
// Batch tensors: gathering examples by index and augmenting them (random crop with zero padding,
// horizontal flip). The random draws are hashes of (seed, step, index), never torch's RNG, so a
// resumed run and a rerun produce bit-identical batches on any device.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace curvtrack::data {

/// The rows of `tensor` (images [N, ...] or labels [N]) at `indices`, in that order, on the
/// tensor's device (one index_select). Throws core::UsageError on an index outside [0, N).
at::Tensor gather_batch(const at::Tensor& tensor, const std::vector<std::int64_t>& indices);

/// Which augmentations a training batch gets.
struct Augmentation {
  bool random_crop = false;     ///< pad every side with `padding` zeros, crop back at a random place
  std::int64_t padding = 4;     ///< pixels of zero padding per side for random_crop, >= 0
  bool horizontal_flip = false; ///< mirror left-right with probability 1/2
};

/// The random choices for one example.
struct AugmentationDraw {
  std::int64_t shift_y = 0;  ///< output row y shows input row y + shift_y (zero outside), in [-padding, padding]
  std::int64_t shift_x = 0;  ///< output column x shows input column x + shift_x before the flip
  bool flip = false;         ///< columns reversed after the crop
};

/// The draws of the example with dataset index `index` at global step `step`: a pure function of
/// (seed, step, index) through SplitMix64. Shifts are uniform on [-padding, padding] (0 without
/// random_crop); flip has probability 1/2 (false without horizontal_flip); each choice comes from
/// its own hash, so enabling one augmentation does not change the other's draws.
/// Throws core::UsageError when padding < 0.
AugmentationDraw augmentation_draw(const Augmentation& aug, std::uint64_t seed, std::int64_t step,
                                   std::int64_t index);

/// Augments a batch: `images` [B, C, H, W] (any dtype and device) are the examples whose dataset
/// indices are `indices` (B of them, as from step_indices). Row b becomes
/// out[b, c, y, x] = in[b, c, y + shift_y, x' + shift_x] (0 outside the image), with
/// x' = W - 1 - x when flipped, else x; the draws are augmentation_draw(aug, seed, step, indices[b]).
/// Returns `images` itself when neither augmentation is enabled. Throws core::UsageError when
/// images are not 4-D, when their count differs from indices.size(), or when padding < 0.
at::Tensor augment_batch(const at::Tensor& images, const std::vector<std::int64_t>& indices,
                         const Augmentation& aug, std::uint64_t seed, std::int64_t step);

}  // namespace curvtrack::data
