// Zip archives in memory: the end record (plain or ZIP64), the central directory, and stored
// or deflated members inflated with zlib and checked against their CRC-32.
#include "curvtrack/core/zip_archive.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "curvtrack/core/errors.hpp"

namespace curvtrack::core {
namespace {

constexpr std::uint32_t kLocalSignature = 0x04034b50;
constexpr std::uint32_t kCentralSignature = 0x02014b50;
constexpr std::uint32_t kEndSignature = 0x06054b50;
constexpr std::uint32_t kZip64EndSignature = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::size_t kEndSize = 22, kZip64EndSize = 56, kZip64LocatorSize = 20;
constexpr std::size_t kCentralSize = 46, kLocalSize = 30;
constexpr std::uint32_t kMarker32 = 0xFFFFFFFF;
constexpr std::uint16_t kZip64ExtraId = 0x0001;
// deflate cannot expand data by more than about 1032:1; a larger declared size is a lie.
constexpr std::uint64_t kDeflateRatio = 1032;
// zlib counts in 32-bit uInt: large members are fed and drained in pieces of this size.
constexpr std::size_t kPiece = std::size_t{1} << 30;

// Bounds-checked little-endian reads from one region of the archive.
class Reader {
 public:
  Reader(const std::string& bytes, const std::string& where) : bytes_(bytes), where_(where) {}
  void check(std::uint64_t at, std::uint64_t width) const {
    if (at > bytes_.size() || bytes_.size() - at < width) {
      throw DataError(where_ + " is truncated: a record at byte " + std::to_string(at) + " runs past the end of the " +
                      std::to_string(bytes_.size()) + "-byte file");
    }
  }
  std::uint64_t get(std::uint64_t at, std::size_t width) const {
    check(at, width);
    std::uint64_t value = 0;
    for (std::size_t i = width; i-- > 0;) value = (value << 8) | static_cast<unsigned char>(bytes_[at + i]);
    return value;
  }
  std::uint16_t u16(std::uint64_t at) const { return static_cast<std::uint16_t>(get(at, 2)); }
  std::uint32_t u32(std::uint64_t at) const { return static_cast<std::uint32_t>(get(at, 4)); }
  std::uint64_t u64(std::uint64_t at) const { return get(at, 8); }
  std::string text(std::uint64_t at, std::size_t length) const {
    check(at, length);
    return bytes_.substr(static_cast<std::size_t>(at), length);
  }

 private:
  const std::string& bytes_;
  const std::string& where_;
};

struct EndRecord {
  std::uint64_t entries = 0, directory_size = 0, directory_offset = 0;
};

// The end-of-central-directory record: the last "PK\5\6" whose comment reaches the file's end.
EndRecord read_end(const std::string& bytes, const std::string& name) {
  const Reader read(bytes, name);
  if (bytes.size() < kEndSize) {
    throw DataError(name + " is not a zip archive (.npz): " + std::to_string(bytes.size()) +
                    " bytes, too short for its end record (truncated?)");
  }
  const std::size_t lowest = bytes.size() - kEndSize > 0xFFFF ? bytes.size() - kEndSize - 0xFFFF : 0;
  std::size_t at = bytes.size() - kEndSize;
  while (!(read.u32(at) == kEndSignature && at + kEndSize + read.u16(at + 20) == bytes.size())) {
    if (at == lowest) {
      throw DataError(name + " is not a zip archive (.npz): no end-of-central-directory record (truncated or corrupt?)");
    }
    --at;
  }
  if (read.u16(at + 4) != 0 || read.u16(at + 6) != 0) {
    throw DataError(name + " is part of a multi-disk zip archive; curvtrack reads single-file archives");
  }
  EndRecord end{read.u16(at + 10), read.u32(at + 12), read.u32(at + 16)};
  const bool maybe_zip64 = end.entries == 0xFFFF || end.directory_size == kMarker32 || end.directory_offset == kMarker32;
  if (at >= kZip64LocatorSize && read.u32(at - kZip64LocatorSize) == kZip64LocatorSignature) {
    const std::uint64_t record = read.u64(at - kZip64LocatorSize + 8);
    if (read.u32(record) != kZip64EndSignature) {
      throw DataError(name + " has a ZIP64 locator pointing at byte " + std::to_string(record) +
                      ", where no ZIP64 end record is (corrupt archive)");
    }
    read.check(record, kZip64EndSize);
    if (read.u32(record + 16) != 0 || read.u32(record + 20) != 0) {
      throw DataError(name + " is part of a multi-disk zip archive; curvtrack reads single-file archives");
    }
    end = {read.u64(record + 32), read.u64(record + 40), read.u64(record + 48)};
  } else if (maybe_zip64 && end.entries == 0xFFFF && end.directory_offset == kMarker32) {
    throw DataError(name + " needs a ZIP64 end record that is missing (corrupt archive)");
  }
  if (end.directory_offset > bytes.size() || bytes.size() - end.directory_offset < end.directory_size) {
    throw DataError(name + " is truncated or corrupt: its central directory (" + std::to_string(end.directory_size) +
                    " bytes at byte " + std::to_string(end.directory_offset) + ") lies outside the " +
                    std::to_string(bytes.size()) + "-byte file");
  }
  if (end.entries > end.directory_size / kCentralSize) {
    throw DataError(name + " declares " + std::to_string(end.entries) + " members in a " +
                    std::to_string(end.directory_size) + "-byte central directory (corrupt archive)");
  }
  return end;
}

// The ZIP64 extended-information field replaces, in this order, each 32-bit field set to
// 0xFFFFFFFF: uncompressed size, compressed size, local header offset.
void apply_zip64_extra(const Reader& read, std::uint64_t extra, std::uint64_t length, ZipMember& member,
                       bool size32, bool compressed32, bool offset32, const std::string& where) {
  const std::uint64_t end = extra + length;
  while (extra + 4 <= end) {
    const std::uint16_t id = read.u16(extra), size = read.u16(extra + 2);
    if (extra + 4 + size > end) break;
    if (id == kZip64ExtraId) {
      std::uint64_t field = extra + 4;
      auto take = [&](bool wanted, std::uint64_t& value) {
        if (!wanted) return;
        if (field + 8 > extra + 4 + size) throw DataError(where + " has a ZIP64 field too short for its sizes");
        value = read.u64(field);
        field += 8;
      };
      take(size32, member.size);
      take(compressed32, member.compressed_size);
      take(offset32, member.header_offset);
      return;
    }
    extra += 4 + size;
  }
  if (size32 || compressed32 || offset32) throw DataError(where + " needs a ZIP64 field that is missing");
}

std::string inflate_member(const std::string& bytes, std::uint64_t start, const ZipMember& member,
                           const std::string& where) {
  std::string out(static_cast<std::size_t>(member.size), '\0');
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) throw DataError("cannot decompress " + where + ": zlib failed to initialise");
  unsigned char empty = 0;  // zlib refuses a null output pointer, even for an empty member
  stream.next_out = &empty;
  std::uint64_t fed = 0, drained = 0;
  std::string failure;
  while (true) {
    if (stream.avail_in == 0 && fed < member.compressed_size) {
      const auto piece = static_cast<std::size_t>(std::min<std::uint64_t>(member.compressed_size - fed, kPiece));
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + start + fed));
      stream.avail_in = static_cast<uInt>(piece);
      fed += piece;
    }
    if (stream.avail_out == 0 && drained < member.size) {
      const auto piece = static_cast<std::size_t>(std::min<std::uint64_t>(member.size - drained, kPiece));
      stream.next_out = reinterpret_cast<Bytef*>(out.data() + drained);
      stream.avail_out = static_cast<uInt>(piece);
      drained += piece;
    }
    const int status = inflate(&stream, Z_NO_FLUSH);
    if (status == Z_OK) continue;
    if (status == Z_STREAM_END) {
      if (stream.total_out != member.size) {
        failure = " is truncated: its deflate stream ends after " + std::to_string(stream.total_out) + " of the " +
                  std::to_string(member.size) + " bytes its directory entry declares";
      }
    } else if (status == Z_BUF_ERROR && stream.avail_out == 0 && drained == member.size) {
      failure = " decompresses to more than the " + std::to_string(member.size) +
                " bytes its directory entry declares (corrupt archive)";
    } else if (status == Z_BUF_ERROR && stream.avail_in == 0 && fed == member.compressed_size) {
      failure = " is truncated: its deflate stream breaks off after " + std::to_string(stream.total_out) + " of " +
                std::to_string(member.size) + " bytes";
    } else {
      failure = " has a corrupt deflate stream" + std::string(stream.msg != nullptr ? " (" + std::string(stream.msg) + ")" : "");
    }
    break;
  }
  inflateEnd(&stream);
  if (!failure.empty()) throw DataError(where + failure);
  return out;
}

std::uint32_t crc_of(const std::string& data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (std::size_t at = 0; at < data.size(); at += kPiece) {
    const std::size_t piece = std::min(kPiece, data.size() - at);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + at), static_cast<uInt>(piece));
  }
  return static_cast<std::uint32_t>(crc);
}

}  // namespace

bool looks_like_zip(const std::string& bytes) {
  return bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' &&
         ((bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6));
}

ZipArchive::ZipArchive(std::string bytes, std::string name) : bytes_(std::move(bytes)), name_(std::move(name)) {
  const EndRecord end = read_end(bytes_, name_);
  const Reader read(bytes_, name_);
  std::uint64_t at = end.directory_offset;
  const std::uint64_t directory_end = end.directory_offset + end.directory_size;
  std::set<std::string> names;
  for (std::uint64_t i = 0; i < end.entries; ++i) {
    if (at + kCentralSize > directory_end || read.u32(at) != kCentralSignature) {
      throw DataError(name_ + " has a corrupt central directory: entry " + std::to_string(i + 1) + " of " +
                      std::to_string(end.entries) + " is not where the directory says");
    }
    ZipMember member;
    member.flags = read.u16(at + 8);
    member.method = read.u16(at + 10);
    member.crc32 = read.u32(at + 16);
    member.compressed_size = read.u32(at + 20);
    member.size = read.u32(at + 24);
    const std::uint16_t name_length = read.u16(at + 28), extra_length = read.u16(at + 30);
    const std::uint16_t comment_length = read.u16(at + 32);
    member.header_offset = read.u32(at + 42);
    if (at + kCentralSize + name_length + extra_length + comment_length > directory_end) {
      throw DataError(name_ + " has a corrupt central directory: entry " + std::to_string(i + 1) +
                      " runs past the directory's end");
    }
    member.name = read.text(at + kCentralSize, name_length);
    apply_zip64_extra(read, at + kCentralSize + name_length, extra_length, member, member.size == kMarker32,
                      member.compressed_size == kMarker32, member.header_offset == kMarker32,
                      name_ + ": member " + member.name);
    if (!names.insert(member.name).second) {
      throw DataError(name_ + " holds two members called " + member.name + " (corrupt archive)");
    }
    members_.push_back(std::move(member));
    at += kCentralSize + name_length + extra_length + comment_length;
  }
}

const ZipMember* ZipArchive::find(const std::string& member) const {
  for (const ZipMember& entry : members_) {
    if (entry.name == member) return &entry;
  }
  return nullptr;
}

std::string ZipArchive::read(const std::string& name) const {
  const ZipMember* member = find(name);
  const std::string where = name_ + ": member " + name;
  if (member == nullptr) throw DataError(name_ + " has no member " + name);
  if ((member->flags & 0x41) != 0) throw DataError(where + " is encrypted; curvtrack reads unencrypted archives");
  if (member->method != 0 && member->method != 8) {
    throw DataError(where + " uses compression method " + std::to_string(member->method) +
                    "; curvtrack reads stored (0) and deflated (8) members, as numpy.savez and savez_compressed write");
  }
  const Reader read(bytes_, where);
  const std::uint64_t header = member->header_offset;
  if (read.u32(header) != kLocalSignature) {
    throw DataError(where + " has no local header at byte " + std::to_string(header) + " (corrupt archive)");
  }
  const std::uint16_t name_length = read.u16(header + 26), extra_length = read.u16(header + 28);
  if (read.text(header + kLocalSize, name_length) != member->name) {
    throw DataError(where + ": its local header names another file (corrupt archive)");
  }
  const std::uint64_t start = header + kLocalSize + name_length + extra_length;
  if (start > bytes_.size() || bytes_.size() - start < member->compressed_size) {
    throw DataError(where + " is truncated: its " + std::to_string(member->compressed_size) + " bytes at byte " +
                    std::to_string(start) + " run past the end of the " + std::to_string(bytes_.size()) +
                    "-byte file");
  }
  std::string data;
  if (member->method == 0) {
    if (member->compressed_size != member->size) {
      throw DataError(where + " is stored with " + std::to_string(member->compressed_size) + " bytes but declares " +
                      std::to_string(member->size) + " (corrupt archive)");
    }
    data = bytes_.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(member->size));
  } else {
    if (member->size > kDeflateRatio * member->compressed_size + 1024) {
      throw DataError(where + " declares " + std::to_string(member->size) + " bytes from " +
                      std::to_string(member->compressed_size) + " compressed ones, beyond what deflate can "
                      "produce (corrupt archive)");
    }
    data = inflate_member(bytes_, start, *member, where);
  }
  const std::uint32_t crc = crc_of(data);
  if (crc != member->crc32) {
    char text[64];
    std::snprintf(text, sizeof text, "CRC-32 %08x where the archive records %08x", crc, member->crc32);
    throw DataError(where + " is corrupt: its bytes have " + text);
  }
  return data;
}

}  // namespace curvtrack::core
