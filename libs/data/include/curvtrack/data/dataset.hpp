#pragma once
// Image-classification datasets as tensors: the MNIST family from IDX files, CIFAR-10/100 from
// the binary version, and synthetic sets (gaussian mixture, teacher-student).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace curvtrack::data {

/// A whole split in memory.
struct Dataset {
  at::Tensor images;         ///< float32 [N, C, H, W] (C = 1, or 3 for CIFAR), normalised (normalisation.hpp)
  at::Tensor labels;         ///< int64 [N], each in [0, num_classes)
  std::int64_t num_classes;  ///< number of classes (10 for the MNIST family and CIFAR-10, 100 for CIFAR-100)
  std::string name;          ///< dataset name, e.g. "fashion-mnist"
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

/// Where a dataset lives and which normalisation it gets.
struct DatasetSpec {
  std::string name;            ///< fashion-mnist | mnist | kmnist | idx (idx: fashion-mnist
                               ///< statistics) | cifar10 | cifar100 | gmm | teacher
  std::filesystem::path root;  ///< folder holding the files (IDX raw or .gz, CIFAR .bin); empty
                               ///< for the synthetic sets
  SyntheticRecipe synthetic{}; ///< gmm and teacher only
};

/// Offset added to a synthetic spec's SEED for the examples of its test split.
constexpr std::uint64_t kSyntheticTestSeedOffset = 1000003;

/// The folder a bare dataset name refers to: /usr/share/datasets/NAME.
std::filesystem::path default_dataset_root(const std::string& name);

/// Parses "NAME" (default folder) or "NAME:/path/to/folder" with NAME fashion-mnist, mnist, kmnist,
/// cifar10 or cifar100; "idx:/path/to/folder"; or "gmm:N:CLASSES:SIDE:SEED" and
/// "teacher:N:CLASSES:SIDE:SEED" (N, CLASSES, SIDE >= 1, SEED >= 0). Throws core::UsageError naming
/// the spec and the accepted forms.
DatasetSpec parse_dataset_spec(const std::string& spec);

/// How to obtain the files of `spec`, as appended to every "cannot find" message.
std::string missing_dataset_hint(const DatasetSpec& spec);

/// Loads one split, normalised. IDX: {train,t10k}-{images-idx3,labels-idx1}-ubyte, each raw or
/// .gz. CIFAR: the binary files of cifar.hpp, in `root` or root/cifar-10-batches-bin
/// (cifar-100-binary), images [N, 3, 32, 32] normalised per channel. Synthetic: the training split
/// is make_gaussian_mixture / make_teacher_student(N, CLASSES, SIDE, SEED); the test split has
/// max(N / 5, 1) examples drawn with SEED + kSyntheticTestSeedOffset from the same class means or
/// teacher. Throws core::DataError naming the file (and how to fix it) when missing or malformed.
Dataset load_dataset(const DatasetSpec& spec, Split split);

}  // namespace curvtrack::data
