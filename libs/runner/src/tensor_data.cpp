#include "curvtrack/runner/tensor_data.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/npy.hpp"
#include "curvtrack/data/tensors.hpp"

namespace curvtrack::runner {
namespace {

std::vector<std::int64_t> example_shape(const data::Dataset& data) {
  std::vector<std::int64_t> shape = data.images.sizes().vec();
  shape.erase(shape.begin());
  return shape;
}

}  // namespace

data::Dataset load_test_split(const DataOptions& options, const data::Dataset& train) {
  const data::DatasetSpec spec = data::parse_dataset_spec(options.dataset);
  if (spec.name != "tensors") return data::load_dataset(spec, data::Split::kTest);
  const data::DatasetSpec test_spec = data::parse_dataset_spec(options.test_dataset);
  data::Dataset test = data::load_dataset(test_spec, data::Split::kTrain);  // the file's examples
  const std::string files = "data.test_dataset tensors:" + test.source + " and data.dataset tensors:" + train.source;
  if (example_shape(test) != example_shape(train)) {
    throw core::DataError(files + " hold x of different example shapes: " + core::shape_text(example_shape(test)) +
                          " and " + core::shape_text(example_shape(train)));
  }
  if (test.labels.dim() != train.labels.dim() || (train.labels.dim() == 2 && test.labels.size(1) != train.labels.size(1))) {
    throw core::DataError(files + " hold y of different kinds: " + core::shape_text(test.labels.sizes().vec()) + " and " +
                          core::shape_text(train.labels.sizes().vec()) + " (labels [N] or targets [N, C] in both)");
  }
  return test;
}

void fit_classes_to_model(models::Network& network, const at::Tensor& sample, data::Dataset& data) {
  if (data.name != "tensors") return;
  at::Tensor output;
  try {
    c10::NoGradGuard no_grad;
    network.set_training(false);
    output = network.forward(sample);
  } catch (const std::exception&) {
    return;
  }
  data::fit_to_model_output(data, output.sizes().vec());
}

void check_augmentable(const data::Augmentation& augmentation, const data::Dataset& train) {
  if ((augmentation.random_crop || augmentation.horizontal_flip) && train.images.dim() != 4) {
    throw core::UsageError("data.augment crops and flips images [N, C, H, W], but the inputs of " + train.name +
                           (train.name == "tensors" ? ":" + train.source : std::string()) + " have shape " +
                           core::shape_text(train.images.sizes().vec()) + "; set data.augment = none");
  }
}

}  // namespace curvtrack::runner
