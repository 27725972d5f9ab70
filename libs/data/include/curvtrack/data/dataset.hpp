#pragma once
// Datasets as tensors: the MNIST family from IDX files, CIFAR-10/100 from the binary version,
// synthetic sets (gaussian mixture, teacher-student), and users' own tensor files (tensors.hpp).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace curvtrack::data {

/// A whole split in memory.
struct Dataset {
  /// The inputs: float32 [N, C, H, W] (C = 1, or 3 for CIFAR), normalised (normalisation.hpp),
  /// for the named and synthetic sets; float32 [N, ...] of any shape, exactly as the file holds
  /// them (no normalisation), for tensors: datasets.
  at::Tensor images;
  /// int64 [N] class labels, each in [0, num_classes); or, for tensors: datasets only, float32
  /// [N, num_classes] regression targets (meaningful with the mean-squared-error loss).
  at::Tensor labels;
  /// Number of classes or target columns: 10 for the MNIST family and CIFAR-10, 100 for
  /// CIFAR-100; C of float targets [N, C]; 0 for tensors: labels until the model's output width
  /// is known (fit_to_model_output, tensors.hpp).
  std::int64_t num_classes;
  std::string name;          ///< dataset name, e.g. "fashion-mnist" ("tensors" for tensor files)
  std::string source;        ///< the files read, comma-separated (or a synthetic recipe)
};

/// Which split of a dataset.
enum class Split { kTrain, kTest };

/// "train" or "test", as used in specs and messages.
std::string split_name(Split split);

/// The parameters of a synthetic dataset spec (gmm:N:CLASSES:SIDE:SEED, teacher:...).
struct SyntheticRecipe {
  std::int64_t n = 0;        ///< training examples; the test split has max(n / 5, 1)
  std::int64_t classes = 0;  ///< number of classes, >= 1
  std::int64_t side = 0;     ///< image side in pixels (images are 1 x side x side), >= 1
  std::uint64_t seed = 0;    ///< seed of the training split (and of the means or teacher)
};

/// The files of a tensors: spec: an .npz, or a pair of .npy files.
struct TensorFiles {
  std::filesystem::path npz;  ///< an .npz holding x.npy and y.npy; empty for a pair
  std::filesystem::path x;    ///< the .npy file of x (pair only)
  std::filesystem::path y;    ///< the .npy file of y (pair only)
  /// The FILE part of the spec: "FILE.npz" or "X.npy,Y.npy".
  std::string text() const;
};

/// Where a dataset lives and which normalisation it gets.
struct DatasetSpec {
  std::string name;            ///< fashion-mnist | mnist | kmnist | idx (idx: fashion-mnist
                               ///< statistics) | cifar10 | cifar100 | gmm | teacher | tensors
  std::filesystem::path root;  ///< folder holding the files (IDX raw or .gz, CIFAR .bin); empty
                               ///< for the synthetic sets and tensors
  SyntheticRecipe synthetic{}; ///< gmm and teacher only
  TensorFiles tensors{};       ///< tensors only
};

/// Offset added to a synthetic spec's SEED for the examples of its test split.
constexpr std::uint64_t kSyntheticTestSeedOffset = 1000003;

/// The folder a bare dataset name refers to: /usr/share/datasets/NAME.
std::filesystem::path default_dataset_root(const std::string& name);

/// Parses "NAME" (default folder) or "NAME:/path/to/folder" with NAME fashion-mnist, mnist, kmnist,
/// cifar10 or cifar100; "idx:/path/to/folder"; "gmm:N:CLASSES:SIDE:SEED" and
/// "teacher:N:CLASSES:SIDE:SEED" (N, CLASSES, SIDE >= 1, SEED >= 0); or "tensors:FILE.npz" and
/// "tensors:X.npy,Y.npy" (tensors.hpp). Throws core::UsageError naming the spec and the accepted
/// forms.
DatasetSpec parse_dataset_spec(const std::string& spec);

/// How to obtain the files of `spec`, as appended to every "cannot find" message.
std::string missing_dataset_hint(const DatasetSpec& spec);

/// Loads one split, normalised. IDX: {train,t10k}-{images-idx3,labels-idx1}-ubyte, each raw or
/// .gz. CIFAR: the binary files of cifar.hpp, in `root` or root/cifar-10-batches-bin
/// (cifar-100-binary), images [N, 3, 32, 32] normalised per channel. Synthetic: the training split
/// is make_gaussian_mixture / make_teacher_student(N, CLASSES, SIDE, SEED); the test split has
/// max(N / 5, 1) examples drawn with SEED + kSyntheticTestSeedOffset from the same class means or
/// teacher. tensors: the file's examples are the training split (load_tensor_dataset); asking
/// for its test split is a core::UsageError (a held-out file is a spec of its own). Throws
/// core::DataError naming the file (and how to fix it) when missing or malformed.
Dataset load_dataset(const DatasetSpec& spec, Split split);

/// The first examples of a split and the split's size.
struct DatasetHead {
  Dataset data;                     ///< the first min(rows, split_examples) examples
  std::int64_t split_examples = 0;  ///< examples in the whole split
};

/// The first `rows` >= 1 examples of a split, as load_dataset(spec, split) would give them. The
/// IDX sets decode only the bytes of those rows when each file's size agrees with its header
/// (idx.hpp, read_idx_rows), so labels and pixels past them are not checked; the other sets are
/// loaded whole and cut.
DatasetHead load_dataset_head(const DatasetSpec& spec, Split split, std::int64_t rows);

}  // namespace curvtrack::data
