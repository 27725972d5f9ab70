#pragma once
// NumPy's .npy format (format versions 1.0, 2.0 and 3.0): reading an array's type, shape and
// bytes, and writing float64 arrays. Little-endian, C-order arrays only; torch-free.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace curvtrack::core {

/// The element types read from .npy files (numpy descr in parentheses).
enum class NpyType {
  kFloat32,  ///< <f4
  kFloat64,  ///< <f8
  kInt8,     ///< |i1
  kInt16,    ///< <i2
  kInt32,    ///< <i4
  kInt64,    ///< <i8
  kUInt8,    ///< |u1
  kUInt16,   ///< <u2
  kUInt32,   ///< <u4
  kUInt64,   ///< <u8
  kBool,     ///< |b1
};

/// Bytes per element of `type`.
std::size_t npy_type_size(NpyType type);

/// numpy's name of `type`: "float32", "int64", "bool", ...
std::string npy_type_name(NpyType type);

/// The little-endian descr numpy writes for `type`: "<f4", "|u1", ...
std::string npy_descr(NpyType type);

/// True for the integer types (not bool, not the floats).
bool npy_type_is_integer(NpyType type);

/// A decoded .npy array. The file's bytes are kept whole; the payload is a view into them.
struct NpyArray {
  NpyType type = NpyType::kFloat64;
  std::vector<std::int64_t> shape;  ///< outermost first; empty for a 0-d (scalar) array
  std::string bytes;                ///< the whole file
  std::size_t data_offset = 0;      ///< where the payload starts in `bytes`
  /// Number of elements: the product of `shape` (1 for a 0-d array).
  std::int64_t elements() const;
  /// The payload: elements() * npy_type_size(type) bytes, little-endian, C order.
  std::string_view payload() const;
};

/// "[3, 4]" (and "[]" for a 0-d array): shapes as curvtrack's messages write them.
std::string shape_text(const std::vector<std::int64_t>& shape);

/// Decodes .npy bytes; `name` (a path, or "archive.npz: x.npy") is used in messages. Accepts
/// format versions 1.0, 2.0 and 3.0 and the element types of NpyType; every other case is a
/// DataError naming `name` and what is wrong: bad magic, unknown version, a header that is not a
/// Python dict literal of exactly 'descr', 'fortran_order' and 'shape', a big-endian or
/// structured or other unsupported descr, fortran_order True, a negative dimension, a size that
/// overflows, or a payload shorter or longer than the shape promises.
NpyArray parse_npy(std::string bytes, const std::string& name);

/// The .npy header (magic, version, length, padded dict) of a little-endian C-order array of
/// numpy descr `descr` ("<f8") and `shape`: version 1.0, or 2.0 when the dict would exceed the
/// 65535 bytes version 1.0 can hold. The total is a multiple of 64 bytes, as numpy writes it.
std::string npy_header(const std::string& descr, const std::vector<std::int64_t>& shape);

/// Writes a float64 C-order array of `shape` (product(shape) values at `data`) as an .npy file,
/// atomically (AtomicFile): complete or absent. Throws DataError naming the path when it cannot
/// be written, UsageError on a negative dimension.
void write_npy(const std::filesystem::path& path, const std::vector<std::int64_t>& shape, const double* data);

}  // namespace curvtrack::core
