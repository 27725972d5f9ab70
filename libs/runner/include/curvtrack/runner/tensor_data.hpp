#pragma once
// What a run needs beyond load_dataset for users' tensor files (data/tensors.hpp): the held-out
// file named by data.test_dataset, the class count taken from the model's output, and a clear
// refusal of image augmentation for inputs that are not images.

#include <ATen/core/Tensor.h>

#include "curvtrack/data/augment.hpp"
#include "curvtrack/data/dataset.hpp"
#include "curvtrack/models/network.hpp"
#include "curvtrack/runner/run_options.hpp"

namespace curvtrack::runner {

/// The held-out split of a run: the test split of data.dataset, or, for a tensors: dataset, the
/// file named by data.test_dataset, whose examples must have the shape of `train`'s and the same
/// kind of y (labels or targets with as many columns). Throws core::UsageError naming
/// data.test_dataset when it is missing or not a tensors: spec, core::DataError naming both
/// files when the shapes differ.
data::Dataset load_test_split(const DataOptions& options, const data::Dataset& train);

/// For a tensors: dataset: runs `sample` through the network once (eval mode, no gradients;
/// the network is left in eval mode) and fits `data` to the output's width
/// (data::fit_to_model_output), so that num_classes is the model's. Other datasets are left
/// alone, as is a forward that fails (check_classifier_output then reports it).
void fit_classes_to_model(models::Network& network, const at::Tensor& sample, data::Dataset& data);

/// Throws core::UsageError naming data.augment when `augmentation` crops or flips and the
/// training inputs are not images [N, C, H, W].
void check_augmentable(const data::Augmentation& augmentation, const data::Dataset& train);

}  // namespace curvtrack::runner
