// Loading one split of a dataset (IDX, CIFAR binary or synthetic) into normalised tensors.
#include <ATen/Functions.h>

#include <algorithm>
#include <stdexcept>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/data/cifar.hpp"
#include "curvtrack/data/dataset.hpp"
#include "curvtrack/data/idx.hpp"
#include "curvtrack/data/normalisation.hpp"
#include "curvtrack/data/synthetic.hpp"
#include "curvtrack/data/tensors.hpp"

namespace curvtrack::data {

std::string missing_dataset_hint(const DatasetSpec& spec) {
  if (spec.name == "cifar10" || spec.name == "cifar100") return cifar_missing_hint(spec.name == "cifar100");
  if (spec.name == "gmm" || spec.name == "teacher") {
    return "synthetic sets need no files: pass --data " + spec.name + ":N:CLASSES:SIDE:SEED";
  }
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

Dataset load_cifar(const DatasetSpec& spec, Split split) {
  const bool hundred = spec.name == "cifar100";
  const std::vector<std::filesystem::path> paths =
      cifar_split_files(spec.root, hundred, split == Split::kTrain);
  // Parse every file first: the tensor is allocated once, at its final size.
  std::vector<CifarArray> parts;
  std::int64_t n = 0;
  std::string source;
  for (const std::filesystem::path& path : paths) {
    parts.push_back(parse_cifar(core::read_file(path), path.string(), hundred));
    n += parts.back().count;
    source += (source.empty() ? "" : ", ") + path.string();
  }

  Dataset data;
  data.num_classes = cifar_classes(hundred);
  data.name = spec.name;
  data.source = source;
  data.labels = at::empty({n}, at::TensorOptions().dtype(at::kLong));
  data.images = at::empty({n, kCifarChannels, kCifarSide, kCifarSide},
                          at::TensorOptions().dtype(at::kFloat));
  // One lookup table per channel: bit-exact float((p / 255 - mean_c) / std_c).
  const std::array<Normalisation, 3> statistics = channel_normalisations_for(spec.name);
  std::array<std::array<float, 256>, 3> tables{};
  for (std::size_t c = 0; c < 3; ++c) tables[c] = normalisation_table(statistics[c]);
  std::int64_t* label_out = data.labels.data_ptr<std::int64_t>();
  float* pixel_out = data.images.data_ptr<float>();
  constexpr std::size_t kPlane = kCifarSide * kCifarSide;
  for (CifarArray& part : parts) {
    label_out = std::copy(part.labels.begin(), part.labels.end(), label_out);
    const std::uint8_t* in = part.pixels.data();
    for (std::int64_t i = 0; i < part.count; ++i) {
      for (std::size_t c = 0; c < 3; ++c) {
        const std::array<float, 256>& table = tables[c];
        for (std::size_t k = 0; k < kPlane; ++k) *pixel_out++ = table[*in++];
      }
    }
    part = CifarArray{};  // release the bytes as soon as they are converted
  }
  return data;
}

Dataset make_synthetic(const DatasetSpec& spec, Split split) {
  const SyntheticRecipe& r = spec.synthetic;
  const bool teacher = spec.name == "teacher";
  if (split == Split::kTrain) {
    return teacher ? make_teacher_student(r.n, r.classes, r.side, r.seed)
                   : make_gaussian_mixture(r.n, r.classes, r.side, r.seed);
  }
  // The same means or teacher as the training split, fresh examples.
  const std::int64_t n = std::max<std::int64_t>(r.n / 5, 1);
  const std::uint64_t sample_seed = r.seed + kSyntheticTestSeedOffset;
  return teacher ? make_teacher_student(n, r.classes, r.side, r.seed, sample_seed)
                 : make_gaussian_mixture(n, r.classes, r.side, r.seed, sample_seed);
}

// An IDX split: all of it (rows = 0) or its first `rows` examples, decoding no more of the files
// than those need (read_idx_rows).
DatasetHead load_idx_split(const DatasetSpec& spec, Split split, std::int64_t rows) {
  std::string prefix = split == Split::kTrain ? "train" : "t10k";
  std::filesystem::path images_path = find_file(spec, prefix + "-images-idx3-ubyte");
  std::filesystem::path labels_path = find_file(spec, prefix + "-labels-idx1-ubyte");
  IdxHead images_head = rows > 0 ? read_idx_rows(images_path, rows) : IdxHead{read_idx(images_path), 0};
  IdxHead labels_head = rows > 0 ? read_idx_rows(labels_path, rows) : IdxHead{read_idx(labels_path), 0};
  const IdxArray& images = images_head.array;
  const IdxArray& labels = labels_head.array;
  if (images.dims.size() != 3) {
    throw DataError(images_path.string() + " holds a " + std::to_string(images.dims.size()) +
                    "-D array; images must be 3-D (count x height x width)");
  }
  if (labels.dims.size() != 1) {
    throw DataError(labels_path.string() + " holds a " + std::to_string(labels.dims.size()) +
                    "-D array; labels must be 1-D");
  }
  const std::int64_t declared = rows > 0 ? images_head.declared_rows : images.dims[0];
  const std::int64_t declared_labels = rows > 0 ? labels_head.declared_rows : labels.dims[0];
  if (declared_labels != declared) {
    throw DataError(images_path.string() + " holds " + std::to_string(declared) + " images but " +
                    labels_path.string() + " holds " + std::to_string(declared_labels) + " labels");
  }
  const std::int64_t n = images.dims[0], height = images.dims[1], width = images.dims[2];

  DatasetHead head;
  head.split_examples = declared;
  Dataset& data = head.data;
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
  return head;
}

}  // namespace

Dataset load_dataset(const DatasetSpec& spec, Split split) {
  if (spec.name == "tensors") {
    if (split == Split::kTest) {
      throw core::UsageError("data spec 'tensors:" + spec.tensors.text() +
                             "' is one file, the training split, and has no test split: probe it with train:... "
                             "(spectrum --probe train:first:N) or give a held-out file as [data] test_dataset = "
                             "tensors:FILE (train, lrfind)");
    }
    return load_tensor_dataset(spec.tensors);
  }
  if (spec.name == "cifar10" || spec.name == "cifar100") return load_cifar(spec, split);
  if (spec.name == "gmm" || spec.name == "teacher") return make_synthetic(spec, split);
  return load_idx_split(spec, split, 0).data;
}

DatasetHead load_dataset_head(const DatasetSpec& spec, Split split, std::int64_t rows) {
  if (rows < 1) throw std::invalid_argument("load_dataset_head: rows = " + std::to_string(rows) + " must be >= 1");
  const bool idx = spec.name != "tensors" && spec.name != "cifar10" && spec.name != "cifar100" &&
                   spec.name != "gmm" && spec.name != "teacher";
  if (idx) return load_idx_split(spec, split, rows);
  DatasetHead head{load_dataset(spec, split), 0};
  head.split_examples = head.data.images.size(0);
  if (rows < head.split_examples) {
    head.data.images = head.data.images.slice(0, 0, rows).clone();
    head.data.labels = head.data.labels.slice(0, 0, rows).clone();
  }
  return head;
}

}  // namespace curvtrack::data
