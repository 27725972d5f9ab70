#pragma once
// Users' own data as tensor files: `tensors:FILE.npz` (numpy's np.savez or np.savez_compressed
// with arrays x and y) or `tensors:X.npy,Y.npy`. The examples are used as given: curvtrack
// applies no normalisation to them.

#include <cstdint>
#include <string>
#include <vector>

#include "curvtrack/data/dataset.hpp"

namespace curvtrack::data {

/// Parses the FILE of "tensors:FILE" (`spec` is the whole spec, for messages): "PATH" (an .npz)
/// or "X.npy,Y.npy" (so no path may contain a comma). Throws core::UsageError on an empty path
/// or more than two.
TensorFiles parse_tensor_files(const std::string& spec, const std::string& files);

/// Loads a tensors: dataset. Accepted arrays (checked in this order, each failure a
/// core::DataError naming the file, the array and the value at fault):
///   x: float32 [N, ...] with at least 2 dimensions, or float64 (rounded to the nearest float32);
///      no normalisation is applied; every value finite.
///   y: integer [N] class labels (any numpy integer type, widened to int64; each >= 0), or
///      float32 / float64 [N, C] regression targets (stored as float32; every value finite).
/// N >= 1 and equal for both. Dataset::num_classes is C for float targets and 0 for labels:
/// the model's output decides it (fit_to_model_output). Dataset::name is "tensors" and
/// Dataset::source the FILE part of the spec (TensorFiles::text).
Dataset load_tensor_dataset(const TensorFiles& files);

/// Fits a tensors: dataset to the model that will see it, given the shape of the model's
/// output on a batch of its examples ([B, C] for a classifier): integer labels must lie in
/// [0, C) and float targets must be [N, C]; num_classes becomes C. Throws core::DataError
/// naming both shapes ("tensors:F: y has shape [100, 5] but the model outputs [2, 10]").
/// Other datasets, and outputs that are not 2-D (check_classifier_output reports those), are
/// left alone.
void fit_to_model_output(Dataset& data, const std::vector<std::int64_t>& output_shape);

}  // namespace curvtrack::data
