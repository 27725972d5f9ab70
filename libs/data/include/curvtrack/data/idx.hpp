#pragma once
// IDX files (the MNIST family's format), raw or gzip-compressed; torch-free.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace curvtrack::data {

/// A decoded unsigned-byte IDX array: `dims` outermost first, `values` row-major.
struct IdxArray {
  std::vector<std::int64_t> dims;    ///< 1 to 4 sizes, each >= 1
  std::vector<std::uint8_t> values;  ///< product(dims) elements
};

/// Reads an IDX file, gzip-compressed (detected by the magic 1f 8b, not the name) or raw.
/// Throws core::DataError naming the file when it is missing, corrupt or not unsigned-byte IDX.
IdxArray read_idx(const std::filesystem::path& path);

/// Decodes uncompressed IDX bytes; `name` (usually the path) is used in error messages.
/// Throws core::DataError on a bad magic, element type, dimension count or payload size.
IdxArray parse_idx(const std::string& bytes, const std::string& name);

/// Inflates gzip bytes (one or more members) in memory, refusing output over `max_bytes`.
/// Throws core::DataError naming `name` when the stream is corrupt, truncated or too large.
std::string gunzip(const std::string& compressed, const std::string& name, std::uint64_t max_bytes);

}  // namespace curvtrack::data
