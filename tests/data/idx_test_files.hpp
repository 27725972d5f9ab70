#pragma once
// Test-only IDX writer: builds fixtures on the fly (raw and gzip) in a private temporary folder.

#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace curvtrack::data::testing {

/// IDX bytes: magic 00 00, element `type`, dimension count, big-endian sizes, then `payload`.
inline std::string idx_bytes(const std::vector<std::uint32_t>& dims, const std::string& payload,
                             std::uint8_t type = 0x08) {
  std::string bytes = {'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((d >> shift) & 0xFF));
  }
  return bytes + payload;
}

/// `count` bytes 0, 1, 2, ... wrapping at 256 (or modulo `modulo`).
inline std::string ramp(std::size_t count, unsigned modulo = 256) {
  std::string payload(count, '\0');
  for (std::size_t i = 0; i < count; ++i) payload[i] = static_cast<char>(i % modulo);
  return payload;
}

/// The whole content of a file, as bytes.
inline std::string read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Writes `bytes` unchanged.
inline void write_raw(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write fixture " + path.string());
}

/// Writes `bytes` gzip-compressed through zlib's gzopen, as the real datasets are shipped.
inline void write_gzip(const std::filesystem::path& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  if (file == nullptr) throw std::runtime_error("cannot gzopen fixture " + path.string());
  int written = bytes.empty() ? 0 : gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  if (gzclose(file) != Z_OK || written != static_cast<int>(bytes.size())) {
    throw std::runtime_error("cannot write fixture " + path.string());
  }
}

/// A fresh folder under the system temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("curvtrack_data_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// The folder.
  const std::filesystem::path& path() const { return path_; }
  /// A file name inside the folder.
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// Writes a small well-formed split (`n` images of `height` x `width`, labels i % 10) into `dir`
/// under the MNIST names for `prefix` ("train" or "t10k"), gzip-compressed when `gzip`.
inline void write_split(const std::filesystem::path& dir, const std::string& prefix, std::uint32_t n,
                        std::uint32_t height, std::uint32_t width, bool gzip) {
  auto write = gzip ? write_gzip : write_raw;
  std::string suffix = gzip ? ".gz" : "";
  write(dir / (prefix + "-images-idx3-ubyte" + suffix),
        idx_bytes({n, height, width}, ramp(std::size_t{n} * height * width)));
  write(dir / (prefix + "-labels-idx1-ubyte" + suffix), idx_bytes({n}, ramp(n, 10)));
}

}  // namespace curvtrack::data::testing
