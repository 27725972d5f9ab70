// Loading one split of an IDX dataset into normalised tensors.
#include <ATen/Functions.h>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/data/dataset.hpp"
#include "curvtrack/data/idx.hpp"
#include "curvtrack/data/normalisation.hpp"

namespace curvtrack::data {

std::string missing_dataset_hint(const DatasetSpec& spec) {
  if (spec.name == "fashion-mnist" && spec.root == default_dataset_root(spec.name)) {
    return "install it with `apt-get install dataset-fashion-mnist` or pass "
           "--data fashion-mnist:/path/to/folder";
  }
  return "pass --data " + spec.name +
         ":/path/to/folder for a folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, "
         "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (raw or .gz)";
}

namespace {

using core::DataError;

constexpr std::int64_t kClasses = 10;

// The raw file if present, else its .gz: the MNIST mirrors ship either.
std::filesystem::path find_file(const DatasetSpec& spec, const std::string& base) {
  std::filesystem::path raw = spec.root / base;
  std::filesystem::path gz = spec.root / (base + ".gz");
  std::error_code error;
  if (std::filesystem::is_regular_file(raw, error)) return raw;
  if (std::filesystem::is_regular_file(gz, error)) return gz;
  std::string where = std::filesystem::is_directory(spec.root, error)
                          ? ""
                          : " (the folder " + spec.root.string() + " does not exist)";
  throw DataError("cannot find " + spec.name + " file " + raw.string() + " or " + gz.string() +
                  where + "; " + missing_dataset_hint(spec));
}

}  // namespace

Dataset load_dataset(const DatasetSpec& spec, Split split) {
  std::string prefix = split == Split::kTrain ? "train" : "t10k";
  std::filesystem::path images_path = find_file(spec, prefix + "-images-idx3-ubyte");
  std::filesystem::path labels_path = find_file(spec, prefix + "-labels-idx1-ubyte");
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  if (images.dims.size() != 3) {
    throw DataError(images_path.string() + " holds a " + std::to_string(images.dims.size()) +
                    "-D array; images must be 3-D (count x height x width)");
  }
  if (labels.dims.size() != 1) {
    throw DataError(labels_path.string() + " holds a " + std::to_string(labels.dims.size()) +
                    "-D array; labels must be 1-D");
  }
  const std::int64_t n = images.dims[0], height = images.dims[1], width = images.dims[2];
  if (labels.dims[0] != n) {
    throw DataError(images_path.string() + " holds " + std::to_string(n) + " images but " +
                    labels_path.string() + " holds " + std::to_string(labels.dims[0]) + " labels");
  }

  Dataset data;
  data.num_classes = kClasses;
  data.name = spec.name;
  data.source = images_path.string() + ", " + labels_path.string();

  data.labels = at::empty({n}, at::TensorOptions().dtype(at::kLong));
  auto* label_out = data.labels.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint8_t label = labels.values[static_cast<std::size_t>(i)];
    if (label >= kClasses) {
      throw DataError(labels_path.string() + " has label " + std::to_string(label) + " at index " +
                      std::to_string(i) + "; " + spec.name + " has " + std::to_string(kClasses) +
                      " classes (0.." + std::to_string(kClasses - 1) + ")");
    }
    label_out[i] = label;
  }

  // A lookup table keeps the per-pixel work to one load and the result bit-exact.
  const std::array<float, 256> table = normalisation_table(normalisation_for(spec.name));
  data.images = at::empty({n, 1, height, width}, at::TensorOptions().dtype(at::kFloat));
  float* pixel_out = data.images.data_ptr<float>();
  for (std::size_t i = 0; i < images.values.size(); ++i) pixel_out[i] = table[images.values[i]];
  return data;
}

}  // namespace curvtrack::data
