// Gathering and augmenting batches: index arithmetic on the CPU, two gathers on the device.
#include "curvtrack/data/augment.hpp"

#include <ATen/Functions.h>

#include <algorithm>
#include <string>

#include "curvtrack/core/errors.hpp"
#include "random_bits.hpp"

namespace curvtrack::data {
namespace {

at::Tensor long_tensor(const std::vector<std::int64_t>& values, std::vector<std::int64_t> shape) {
  at::Tensor tensor = at::empty(shape, at::TensorOptions().dtype(at::kLong));
  std::copy(values.begin(), values.end(), tensor.data_ptr<std::int64_t>());
  return tensor;
}

}  // namespace

at::Tensor gather_batch(const at::Tensor& tensor, const std::vector<std::int64_t>& indices) {
  if (tensor.dim() < 1) throw core::UsageError("gather_batch needs a tensor with a batch dimension");
  const std::int64_t size = tensor.size(0);
  for (std::int64_t index : indices) {
    if (index < 0 || index >= size) {
      throw core::UsageError("index " + std::to_string(index) + " is out of range for a tensor of " +
                             std::to_string(size) + " examples");
    }
  }
  at::Tensor positions = long_tensor(indices, {static_cast<std::int64_t>(indices.size())});
  return tensor.index_select(0, positions.to(tensor.device()));
}

AugmentationDraw augmentation_draw(const Augmentation& aug, std::uint64_t seed, std::int64_t step,
                                   std::int64_t index) {
  if (aug.padding < 0) {
    throw core::UsageError("augmentation padding " + std::to_string(aug.padding) + " must be >= 0");
  }
  const std::uint64_t key = detail::mix_key(detail::mix_key(seed, static_cast<std::uint64_t>(step)),
                                            static_cast<std::uint64_t>(index));
  AugmentationDraw draw;
  if (aug.random_crop) {
    const auto span = static_cast<std::uint64_t>(2 * aug.padding + 1);
    detail::SplitMix64 rows(detail::mix_key(key, 0)), cols(detail::mix_key(key, 1));
    draw.shift_y = static_cast<std::int64_t>(detail::uniform_below(rows, span)) - aug.padding;
    draw.shift_x = static_cast<std::int64_t>(detail::uniform_below(cols, span)) - aug.padding;
  }
  if (aug.horizontal_flip) draw.flip = (detail::mix_key(key, 2) >> 63) != 0;
  return draw;
}

at::Tensor augment_batch(const at::Tensor& images, const std::vector<std::int64_t>& indices,
                         const Augmentation& aug, std::uint64_t seed, std::int64_t step) {
  if (images.dim() != 4) {
    throw core::UsageError("augment_batch needs images [B, C, H, W], got " +
                           std::to_string(images.dim()) + "-D");
  }
  const std::int64_t batch = images.size(0), channels = images.size(1);
  const std::int64_t height = images.size(2), width = images.size(3);
  if (batch != static_cast<std::int64_t>(indices.size())) {
    throw core::UsageError("augment_batch got " + std::to_string(batch) + " images but " +
                           std::to_string(indices.size()) +
                           " indices; pass the gathered batch and its dataset indices");
  }
  if (aug.padding < 0) {
    throw core::UsageError("augmentation padding " + std::to_string(aug.padding) + " must be >= 0");
  }
  if (!aug.random_crop && !aug.horizontal_flip) return images;

  // Source row and column of every output pixel, in the zero-padded image.
  const std::int64_t pad = aug.random_crop ? aug.padding : 0;
  std::vector<std::int64_t> rows(static_cast<std::size_t>(batch * height));
  std::vector<std::int64_t> cols(static_cast<std::size_t>(batch * width));
  for (std::int64_t b = 0; b < batch; ++b) {
    const AugmentationDraw draw = augmentation_draw(aug, seed, step, indices[static_cast<std::size_t>(b)]);
    for (std::int64_t y = 0; y < height; ++y) {
      rows[static_cast<std::size_t>(b * height + y)] = y + draw.shift_y + pad;
    }
    for (std::int64_t x = 0; x < width; ++x) {
      const std::int64_t source = draw.flip ? width - 1 - x : x;
      cols[static_cast<std::size_t>(b * width + x)] = source + draw.shift_x + pad;
    }
  }
  const at::Tensor padded = pad > 0 ? at::constant_pad_nd(images, {pad, pad, pad, pad}, 0) : images;
  const at::Tensor row_index = long_tensor(rows, {batch, 1, height, 1})
                                   .to(images.device())
                                   .expand({batch, channels, height, width + 2 * pad});
  const at::Tensor col_index =
      long_tensor(cols, {batch, 1, 1, width}).to(images.device()).expand({batch, channels, height, width});
  return padded.gather(2, row_index).gather(3, col_index);
}

}  // namespace curvtrack::data
