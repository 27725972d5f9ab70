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

/// The header of an IDX file: its dimensions, the header's length and the element count.
struct IdxHeader {
  std::vector<std::int64_t> dims;  ///< 1 to 4 sizes, each >= 1
  std::size_t bytes = 0;           ///< 4 + 4 * dims.size()
  std::uint64_t elements = 0;      ///< product(dims), <= 2^31
};

/// The first rows of an IDX file and the number of rows its header declares.
struct IdxHead {
  IdxArray array;                  ///< dims[0] = min(rows asked for, declared_rows)
  std::int64_t declared_rows = 0;  ///< the header's dims[0]
};

/// Reads an IDX file, gzip-compressed (detected by the magic 1f 8b, not the name) or raw.
/// Throws core::DataError naming the file when it is missing, corrupt or not unsigned-byte IDX.
IdxArray read_idx(const std::filesystem::path& path);

/// The first `rows` >= 1 rows (outermost index) of an IDX file, raw or gzip, decompressing only
/// as far as they reach when the file's size agrees with its header (raw: the file size; gzip:
/// the trailer's ISIZE). Otherwise, or when `rows` >= the declared rows, the file is decoded
/// whole (with read_idx's checks and messages) and its first rows kept. The rest of a file read
/// partially is not checked.
IdxHead read_idx_rows(const std::filesystem::path& path, std::int64_t rows);

/// Checks the magic, element type (unsigned byte), dimension count and sizes of the IDX header
/// at the start of `bytes` (which may hold just the header); core::DataError naming `name`.
IdxHeader parse_idx_header(const std::string& bytes, const std::string& name);

/// Decodes uncompressed IDX bytes; `name` (usually the path) is used in error messages.
/// Throws core::DataError on a bad magic, element type, dimension count or payload size.
IdxArray parse_idx(const std::string& bytes, const std::string& name);

/// Inflates gzip bytes (one or more members) in memory, refusing output over `max_bytes`;
/// stops (without checking the rest) once `stop_after` bytes are out, and returns those.
/// Throws core::DataError naming `name` when the stream is corrupt, truncated or too large.
std::string gunzip(const std::string& compressed, const std::string& name, std::uint64_t max_bytes,
                   std::uint64_t stop_after = UINT64_MAX);

}  // namespace curvtrack::data
