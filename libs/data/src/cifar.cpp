// CIFAR binary records: byte work only, no tensor work (so the parser can be fuzzed alone).
#include "curvtrack/data/cifar.hpp"

#include <algorithm>

#include "curvtrack/core/errors.hpp"

namespace curvtrack::data {
namespace {

using core::DataError;

constexpr std::int64_t kCoarseClasses = 20;

std::string dataset_title(bool hundred) { return hundred ? "CIFAR-100" : "CIFAR-10"; }

bool is_file(const std::filesystem::path& path) {
  std::error_code error;
  return std::filesystem::is_regular_file(path, error);
}

}  // namespace

std::int64_t cifar_record_bytes(bool hundred) { return (hundred ? 2 : 1) + kCifarImageBytes; }

std::int64_t cifar_classes(bool hundred) { return hundred ? 100 : 10; }

std::vector<std::string> cifar_file_names(bool hundred, bool train) {
  if (hundred) return {train ? "train.bin" : "test.bin"};
  if (!train) return {"test_batch.bin"};
  return {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
          "data_batch_5.bin"};
}

std::string cifar_archive_folder(bool hundred) {
  return hundred ? "cifar-100-binary" : "cifar-10-batches-bin";
}

std::string cifar_missing_hint(bool hundred) {
  const std::string archive = hundred ? "cifar-100-binary.tar.gz" : "cifar-10-binary.tar.gz";
  const std::string spec = hundred ? "cifar100" : "cifar10";
  return "download the binary version of " + dataset_title(hundred) + " (" + archive +
         " from https://www.cs.toronto.edu/~kriz/cifar.html, not the python or matlab version), "
         "extract it and pass --data " + spec + ":/folder (the folder holding " +
         cifar_archive_folder(hundred) + " or that folder itself)";
}

CifarArray parse_cifar(const std::string& bytes, const std::string& name, bool hundred) {
  const auto record = static_cast<std::size_t>(cifar_record_bytes(hundred));
  const std::string title = dataset_title(hundred);
  const std::string layout = hundred ? "1 coarse label byte + 1 fine label byte + 3072 pixel bytes"
                                     : "1 label byte + 3072 pixel bytes";
  if (bytes.empty()) {
    throw DataError(name + " is empty; a " + title + " binary file holds " +
                    std::to_string(record) + "-byte records (" + layout + ")");
  }
  if (bytes.size() % record != 0) {
    std::string guess;
    const std::size_t other = static_cast<std::size_t>(cifar_record_bytes(!hundred));
    if (bytes.size() % other == 0) {
      guess = " (its size is a multiple of " + std::to_string(other) + ", the " +
              dataset_title(!hundred) + " record: is it the other dataset?)";
    }
    throw DataError(name + " has " + std::to_string(bytes.size()) +
                    " bytes, not a multiple of the " + std::to_string(record) + "-byte " + title +
                    " record (" + layout + "): truncated, or not the binary version" + guess);
  }
  CifarArray array;
  array.count = static_cast<std::int64_t>(bytes.size() / record);
  const auto count = static_cast<std::size_t>(array.count);
  const auto classes = static_cast<unsigned>(cifar_classes(hundred));
  array.labels.resize(count);
  array.pixels.resize(count * static_cast<std::size_t>(kCifarImageBytes));
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  std::uint8_t* out = array.pixels.data();
  for (std::size_t i = 0; i < count; ++i, in += record) {
    if (hundred && in[0] >= kCoarseClasses) {
      throw DataError(name + " has coarse label " + std::to_string(in[0]) + " at record " +
                      std::to_string(i) + "; CIFAR-100 has 20 coarse classes (0..19)");
    }
    const unsigned label = in[hundred ? 1 : 0];
    if (label >= classes) {
      throw DataError(name + " has " + (hundred ? "fine label " : "label ") +
                      std::to_string(label) + " at record " + std::to_string(i) + "; " + title +
                      " has " + std::to_string(classes) + " classes (0.." +
                      std::to_string(classes - 1) + ")");
    }
    array.labels[i] = static_cast<std::uint8_t>(label);
    const unsigned char* image = in + (hundred ? 2 : 1);
    out = std::copy(image, image + kCifarImageBytes, out);
  }
  return array;
}

std::vector<std::filesystem::path> cifar_split_files(const std::filesystem::path& root, bool hundred,
                                                     bool train) {
  const std::vector<std::string> names = cifar_file_names(hundred, train);
  const std::filesystem::path nested = root / cifar_archive_folder(hundred);
  // The folder itself when it holds any file of the split, else the archive's folder inside it.
  bool direct = false;
  for (const std::string& name : names) direct = direct || is_file(root / name);
  std::error_code error;
  const bool has_nested = std::filesystem::is_directory(nested, error);
  const std::filesystem::path folder = !direct && has_nested ? nested : root;

  std::vector<std::filesystem::path> paths;
  for (const std::string& name : names) {
    std::filesystem::path path = folder / name;
    if (!is_file(path)) {
      std::string where;
      if (!std::filesystem::is_directory(root, error)) {
        where = " (the folder " + root.string() + " does not exist)";
      } else if (folder == root) {
        where = " (nor " + (nested / name).string() + ")";
      }
      throw DataError("cannot find " + dataset_title(hundred) + " file " + path.string() + where +
                      "; " + cifar_missing_hint(hundred));
    }
    paths.push_back(std::move(path));
  }
  return paths;
}

}  // namespace curvtrack::data
