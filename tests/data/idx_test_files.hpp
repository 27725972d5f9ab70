#pragma once
// Test-only IDX writer: builds fixtures on the fly (raw and gzip), e.g. in a testing::TempDir.

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
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
