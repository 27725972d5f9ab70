// Selecting examples of a dataset by index.
#include <ATen/Functions.h>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/data/probe.hpp"

namespace curvtrack::data {

Dataset subset(const Dataset& data, const std::vector<std::int64_t>& indices) {
  const std::int64_t size = data.labels.size(0);
  for (std::int64_t index : indices) {
    if (index < 0 || index >= size) {
      throw core::UsageError("index " + std::to_string(index) + " is out of range for " +
                             data.name + " with " + std::to_string(size) + " examples");
    }
  }
  at::Tensor positions = at::empty({static_cast<std::int64_t>(indices.size())},
                                   at::TensorOptions().dtype(at::kLong));
  std::copy(indices.begin(), indices.end(), positions.data_ptr<std::int64_t>());
  return {data.images.index_select(0, positions.to(data.images.device())),
          data.labels.index_select(0, positions.to(data.labels.device())),
          data.num_classes, data.name, data.source};
}

}  // namespace curvtrack::data
