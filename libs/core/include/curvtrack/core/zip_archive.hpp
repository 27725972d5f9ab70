#pragma once
// Reading the members of a zip archive held in memory (NumPy's .npz files are zip archives):
// central directory (ZIP64 included), stored and deflated members, CRC-32 checked. Torch-free.

#include <cstdint>
#include <string>
#include <vector>

namespace curvtrack::core {

/// One member as the central directory describes it.
struct ZipMember {
  std::string name;                  ///< file name inside the archive, e.g. "x.npy"
  std::uint16_t method = 0;          ///< 0 stored, 8 deflate (others are refused on reading)
  std::uint16_t flags = 0;           ///< general-purpose bit flags (bit 0: encrypted)
  std::uint32_t crc32 = 0;           ///< CRC-32 of the uncompressed bytes
  std::uint64_t compressed_size = 0;
  std::uint64_t size = 0;            ///< uncompressed size
  std::uint64_t header_offset = 0;   ///< where the member's local header starts
};

/// A zip archive's bytes and its member list. Construction reads the end-of-central-directory
/// record (with its ZIP64 form when the archive needs it) and the central directory; read()
/// decompresses one member. Every malformed case is a DataError naming the archive (`name`) and,
/// where it applies, the member: not a zip file, truncated, a directory or member outside the
/// file, multi-disk archives, duplicate names, encrypted members, compression methods other than
/// stored (0) and deflate (8), a deflate stream that is corrupt or ends early or late, sizes
/// that do not match the directory, or a CRC-32 mismatch. Nothing is allocated beyond what the
/// file's own size and deflate's largest possible ratio allow.
class ZipArchive {
 public:
  ZipArchive(std::string bytes, std::string name);
  /// The members in directory order.
  const std::vector<ZipMember>& members() const { return members_; }
  /// The member called `member`, or nullptr.
  const ZipMember* find(const std::string& member) const;
  /// The uncompressed bytes of `member`; DataError when absent or malformed.
  std::string read(const std::string& member) const;
  /// The archive's name as given (used in messages).
  const std::string& name() const { return name_; }

 private:
  std::string bytes_;
  std::string name_;
  std::vector<ZipMember> members_;
};

/// True when `bytes` start with a zip local-file-header or empty-archive signature ("PK").
bool looks_like_zip(const std::string& bytes);

}  // namespace curvtrack::core
