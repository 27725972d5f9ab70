#include "curvtrack/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <utility>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "regular_file.hpp"

namespace curvtrack::data {
namespace {

using core::DataError;

// The largest array curvtrack accepts: larger ones are a corrupt header, not a dataset.
constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 31;
constexpr std::size_t kMaxDims = 4;

std::string hex_byte(unsigned value) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02X", value & 0xFFu);
  return text;
}

bool is_gzip(const std::string& bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::uint32_t big_endian_u32(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

std::string dims_text(const std::vector<std::int64_t>& dims) {
  std::string text;
  for (std::size_t i = 0; i < dims.size(); ++i) text += (i ? " x " : "") + std::to_string(dims[i]);
  return text;
}

// 4 bytes of magic, type and rank, then 4 per dimension.
constexpr std::size_t kMaxHeaderBytes = 4 + 4 * kMaxDims;

std::string read_existing(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw DataError("cannot read " + path.string() + ": no such file");
  }
  return core::read_file(path);
}

IdxArray decode_whole(const std::string& file, const std::filesystem::path& path) {
  // Cap: the largest legal payload plus the largest header, so a gzip bomb stops early.
  if (is_gzip(file)) return parse_idx(gunzip(file, path.string(), kMaxElements + kMaxHeaderBytes), path.string());
  return parse_idx(file, path.string());
}

// The gzip trailer's ISIZE: the last member's uncompressed size mod 2^32 (little-endian); 0 when
// the file is too short to have a trailer.
std::uint64_t gzip_isize(const detail::RegularFile& file) {
  if (file.size() < 18) return 0;
  const std::string tail = file.read_at(file.size() - 4, 4);
  if (tail.size() < 4) return 0;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value |= std::uint64_t{static_cast<unsigned char>(tail[i])} << (8 * i);
  return value;
}

}  // namespace

IdxHeader parse_idx_header(const std::string& bytes, const std::string& name) {
  if (bytes.size() < 4) {
    throw DataError(name + " is truncated: " + std::to_string(bytes.size()) +
                    " bytes, too short for an IDX header");
  }
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (byte(0) != 0 || byte(1) != 0) {
    throw DataError(name + " is not an IDX file: it starts with " + hex_byte(byte(0)) + " " +
                    hex_byte(byte(1)) + " where IDX has 0x00 0x00");
  }
  if (byte(2) != 0x08) {
    throw DataError("unsupported IDX element type " + hex_byte(byte(2)) + " in " + name +
                    "; curvtrack reads unsigned-byte (0x08) IDX");
  }
  std::size_t rank = byte(3);
  if (rank < 1 || rank > kMaxDims) {
    throw DataError(name + " declares " + std::to_string(rank) +
                    " dimensions; curvtrack reads IDX arrays with 1 to 4");
  }
  IdxHeader header;
  header.bytes = 4 + 4 * rank;
  if (bytes.size() < header.bytes) {
    throw DataError(name + " is truncated: its header needs " + std::to_string(header.bytes) +
                    " bytes for " + std::to_string(rank) + " dimensions, found " +
                    std::to_string(bytes.size()));
  }
  header.elements = 1;
  for (std::size_t d = 0; d < rank; ++d) {
    std::uint32_t size = big_endian_u32(bytes, 4 + 4 * d);
    header.dims.push_back(size);
    if (size == 0) {
      throw DataError(name + " has an empty dimension (" + dims_text(header.dims) + "...)");
    }
    // Each size < 2^32 and the running product stays <= 2^31, so this cannot overflow.
    header.elements *= size;
    if (header.elements > kMaxElements) {
      throw DataError(name + " declares more than 2^31 elements (dimensions " +
                      dims_text(header.dims) + "...); the header is corrupt");
    }
  }
  return header;
}

IdxArray parse_idx(const std::string& bytes, const std::string& name) {
  const IdxHeader header = parse_idx_header(bytes, name);
  const std::uint64_t elements = header.elements;
  std::uint64_t found = bytes.size() - header.bytes;
  if (found < elements) {
    throw DataError(name + " is truncated: header promises " + std::to_string(elements) +
                    " bytes of data, found " + std::to_string(found));
  }
  if (found > elements) {
    throw DataError(name + " has " + std::to_string(found - elements) +
                    " trailing bytes: header promises " + std::to_string(elements) +
                    " bytes of data, found " + std::to_string(found));
  }
  IdxArray array;
  array.dims = header.dims;
  array.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header.bytes), bytes.end());
  return array;
}

namespace {

// Compressed input for inflate_from, a chunk at a time; an empty chunk means the input ended.
using ChunkSource = std::function<std::string()>;

// gunzip's loop over a source of compressed chunks (see gunzip in idx.hpp for the contract).
std::string inflate_from(const ChunkSource& next_chunk, const std::string& name, std::uint64_t max_bytes,
                         std::uint64_t stop_after) {
  std::string out;
  z_stream stream{};
  // 16 + MAX_WBITS: gzip wrapper only, so a zlib or raw stream is reported as corrupt.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
    throw DataError("cannot decompress " + name + ": zlib failed to initialise");
  }
  auto fail = [&](const std::string& why) {
    inflateEnd(&stream);
    throw DataError(name + " is not a valid gzip file: " + why);
  };
  std::string input;  // the unread input: what inflate left of the last chunks, then the next one
  bool ended = false;
  // Appends the next chunk to the input inflate has not consumed; false at the end of the input.
  auto refill = [&]() {
    if (ended) return false;
    std::string chunk = next_chunk();
    if (chunk.empty()) {
      ended = true;
      return false;
    }
    input = input.substr(input.size() - stream.avail_in) + chunk;
    if (input.size() > 0xFFFFFFFFu) fail("compressed chunk over 4 GiB");
    stream.next_in = reinterpret_cast<Bytef*>(input.data());
    stream.avail_in = static_cast<uInt>(input.size());
    return true;
  };
  refill();
  char chunk[1 << 16];
  while (true) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    int status = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - stream.avail_out);
    if (out.size() >= stop_after) {
      out.resize(stop_after);
      break;
    }
    if (out.size() > max_bytes) {
      fail("it decompresses to more than " + std::to_string(max_bytes) + " bytes");
    }
    if (status == Z_STREAM_END) {
      while (stream.avail_in < 2 && refill()) {
      }
      if (stream.avail_in == 0) break;
      // Concatenated gzip members are legal (gzip a; gzip b; cat); anything else is garbage.
      if (stream.avail_in < 2 || stream.next_in[0] != 0x1f || stream.next_in[1] != 0x8b) {
        fail(std::to_string(stream.avail_in) + " bytes of trailing garbage after the gzip stream");
      }
      if (inflateReset(&stream) != Z_OK) fail("zlib could not restart for the next member");
      continue;
    }
    // Out of input: the next chunk, if any. Z_BUF_ERROR with a fresh output buffer means inflate
    // wants input that is not there; with Z_OK it may still hold output, and says so next call.
    if (stream.avail_in == 0 && refill()) continue;
    if (status == Z_BUF_ERROR) fail("the compressed stream is truncated");
    if (status != Z_OK) {
      fail(stream.msg != nullptr ? stream.msg : "zlib error " + std::to_string(status));
    }
  }
  inflateEnd(&stream);
  return out;
}

// The compressed file read in chunks from its start, as far as inflate asks.
ChunkSource file_chunks(const detail::RegularFile& file) {
  constexpr std::size_t kChunk = std::size_t{1} << 18;
  return [&file, offset = std::uint64_t{0}]() mutable {
    std::string chunk = file.read_at(offset, kChunk);
    offset += chunk.size();
    return chunk;
  };
}

}  // namespace

std::string gunzip(const std::string& compressed, const std::string& name, std::uint64_t max_bytes,
                   std::uint64_t stop_after) {
  bool given = false;
  return inflate_from([&]() { return std::exchange(given, true) ? std::string() : compressed; }, name, max_bytes,
                      stop_after);
}

IdxArray read_idx(const std::filesystem::path& path) {
  return decode_whole(read_existing(path), path);
}

IdxHead read_idx_rows(const std::filesystem::path& path, std::int64_t rows) {
  if (rows < 1) throw std::invalid_argument("read_idx_rows: rows = " + std::to_string(rows) + " must be >= 1");
  const std::string name = path.string();
  // Read by offset: a probe of 2,048 images needs the first 0.89 MB of Fashion-MNIST's 26 MB training file.
  const detail::RegularFile file(path);
  const bool compressed = is_gzip(file.read_at(0, 2));
  auto first_bytes = [&](std::uint64_t bytes) {
    return compressed ? inflate_from(file_chunks(file), name, bytes, bytes)
                      : file.read_at(0, static_cast<std::size_t>(bytes));
  };
  // The longest possible header first (it gives the row size), then exactly the rows asked for.
  const IdxHeader header = parse_idx_header(first_bytes(kMaxHeaderBytes), name);
  const auto declared_rows = static_cast<std::uint64_t>(header.dims[0]);
  const std::uint64_t total = header.bytes + header.elements;
  // The whole file's size, known without decoding it: the file size (raw) or the gzip trailer's
  // ISIZE (uncompressed size mod 2^32 of the last member). Any other file, and one with no more
  // rows than asked for, is decoded whole: a damaged file then fails with the same message as
  // without the shortcut (truncated, trailing bytes, trailing garbage), and files of several
  // gzip members still decode.
  const bool consistent = compressed ? gzip_isize(file) == (total & 0xFFFFFFFFu) : file.size() == total;
  IdxHead out;
  out.declared_rows = static_cast<std::int64_t>(declared_rows);
  if (!consistent || static_cast<std::uint64_t>(rows) >= declared_rows) {
    out.array = decode_whole(read_existing(path), path);
    const std::int64_t kept = std::min<std::int64_t>(rows, out.array.dims[0]);
    const std::size_t row_bytes = out.array.values.size() / static_cast<std::size_t>(out.array.dims[0]);
    out.array.values.resize(static_cast<std::size_t>(kept) * row_bytes);
    out.array.dims[0] = kept;
    return out;
  }
  const std::uint64_t wanted = header.bytes + header.elements / declared_rows * static_cast<std::uint64_t>(rows);
  const std::string bytes = first_bytes(wanted);
  if (bytes.size() < wanted) {
    throw DataError(name + " is truncated: it ends after " + std::to_string(bytes.size()) + " of the " +
                    std::to_string(wanted) + " bytes of its first " + std::to_string(rows) + " rows");
  }
  out.array.dims = header.dims;
  out.array.dims[0] = rows;
  out.array.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header.bytes), bytes.end());
  return out;
}

}  // namespace curvtrack::data
