#pragma once
// CIFAR-10 and CIFAR-100, the official binary versions; torch-free (tensors: dataset.hpp).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace curvtrack::data {

/// Image side in pixels (CIFAR images are 32 x 32).
constexpr std::int64_t kCifarSide = 32;
/// Colour channels per image (R, G, B planes).
constexpr std::int64_t kCifarChannels = 3;
/// Pixel bytes per record: 3 planes of 32 x 32.
constexpr std::int64_t kCifarImageBytes = kCifarChannels * kCifarSide * kCifarSide;

/// The decoded records of one CIFAR binary file.
struct CifarArray {
  std::int64_t count = 0;            ///< number of records (images), >= 1
  std::vector<std::uint8_t> labels;  ///< count labels: the CIFAR-10 class or the CIFAR-100 fine label
  std::vector<std::uint8_t> pixels;  ///< count x 3 x 32 x 32 bytes: R, G, B planes, rows top first
};

/// Bytes per record: 3073 for CIFAR-10 (label, pixels), 3074 for CIFAR-100 (coarse, fine, pixels).
std::int64_t cifar_record_bytes(bool hundred);

/// Number of classes: 10, or 100 (fine labels) for CIFAR-100.
std::int64_t cifar_classes(bool hundred);

/// The files of a split in load order: data_batch_1.bin..data_batch_5.bin / test_batch.bin for
/// CIFAR-10, train.bin / test.bin for CIFAR-100.
std::vector<std::string> cifar_file_names(bool hundred, bool train);

/// The folder the official archive extracts to: cifar-10-batches-bin or cifar-100-binary.
std::string cifar_archive_folder(bool hundred);

/// How to obtain the binary version, as appended to every "cannot find" message.
std::string cifar_missing_hint(bool hundred);

/// Decodes the bytes of one binary file; `name` (usually the path) is used in messages. Throws
/// core::DataError naming it when the size is not a positive multiple of the record size (both
/// sizes given) or a label is out of range (CIFAR-100: coarse < 20 and fine < 100).
CifarArray parse_cifar(const std::string& bytes, const std::string& name, bool hundred);

/// The files of a split under `root`, which may be the folder holding them or its parent holding
/// cifar_archive_folder(hundred). Throws core::DataError naming the first missing file and how to
/// obtain the dataset.
std::vector<std::filesystem::path> cifar_split_files(const std::filesystem::path& root, bool hundred,
                                                     bool train);

}  // namespace curvtrack::data
