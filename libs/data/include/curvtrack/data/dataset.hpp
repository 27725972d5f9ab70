#pragma once
// Image-classification datasets as tensors: the MNIST family from IDX files.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace curvtrack::data {

/// A whole split in memory.
struct Dataset {
  at::Tensor images;         ///< float32 [N, 1, H, W], normalised (see normalisation.hpp)
  at::Tensor labels;         ///< int64 [N], each in [0, num_classes)
  std::int64_t num_classes;  ///< number of classes (10 for the MNIST family)
  std::string name;          ///< dataset name, e.g. "fashion-mnist"
  std::string source;        ///< the files read, comma-separated (or a synthetic recipe)
};

/// Which split of a dataset.
enum class Split { kTrain, kTest };

/// "train" or "test", as used in specs and messages.
std::string split_name(Split split);

/// Where a dataset lives and which normalisation it gets.
struct DatasetSpec {
  std::string name;            ///< fashion-mnist | mnist | kmnist | idx (idx: fashion-mnist statistics)
  std::filesystem::path root;  ///< folder holding the four IDX files, raw or .gz
};

/// The folder a bare dataset name refers to: /usr/share/datasets/NAME.
std::filesystem::path default_dataset_root(const std::string& name);

/// Parses "NAME" (default folder) or "NAME:/path/to/folder" with NAME fashion-mnist, mnist or
/// kmnist, or "idx:/path/to/folder". Throws core::UsageError naming the spec and the accepted forms.
DatasetSpec parse_dataset_spec(const std::string& spec);

/// How to obtain the files of `spec`, as appended to every "cannot find" message.
std::string missing_dataset_hint(const DatasetSpec& spec);

/// Loads one split ({train,t10k}-{images-idx3,labels-idx1}-ubyte, each raw or .gz), normalised.
/// Throws core::DataError naming the file (and how to fix it) when missing or malformed.
Dataset load_dataset(const DatasetSpec& spec, Split split);

}  // namespace curvtrack::data
