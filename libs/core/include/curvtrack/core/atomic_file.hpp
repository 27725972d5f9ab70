#pragma once
// Files that are either complete or absent: written to a temporary name, flushed, renamed.
// Only a regular file is ever replaced or appended to: an output path naming a device, FIFO,
// socket or folder (directly or through a symbolic link) is refused before anything is written.

#include <filesystem>
#include <string>
#include <string_view>

namespace curvtrack::core {

/// Throws DataError (exit code 3) naming `path` and what it is when it exists and is not a
/// regular file, symbolic links followed ("cannot write P: it is a FIFO (named pipe), not a
/// regular file; ..."); a symbolic link to a missing file is refused too. Absent paths and
/// regular files (or links to them) pass. Opens nothing: a FIFO or device is never touched.
void check_output_file(const std::filesystem::path& path);

/// A file written in pieces and made visible whole: the pieces go to a temporary file in the
/// same folder, commit() flushes it and renames it over the destination (through a symbolic
/// link to a regular file, the link's target is replaced and the link kept). Destroyed without
/// commit(), the temporary file is removed. Throws DataError naming the path when the
/// destination is not a regular file (check_output_file), its folder is missing or not
/// writable, the disk is full or a file size limit is hit; nothing is left behind then.
class AtomicFile {
 public:
  explicit AtomicFile(const std::filesystem::path& path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  /// Appends bytes to the temporary file.
  void write(std::string_view bytes);
  /// Flushes, closes and renames the temporary file into place.
  void commit();

 private:
  [[noreturn]] void fail(const std::string& what);
  std::filesystem::path path_;         ///< as given (named in messages)
  std::filesystem::path destination_;  ///< what the rename replaces (a link's target)
  std::filesystem::path temporary_;
  int fd_ = -1;
  long long kill_after_ = -1;          ///< fault injection: bytes left before the crash
};

/// Writes `content` to `path` atomically (temporary file in the same folder, fsync, rename).
/// Throws DataError (a std::runtime_error; exit code 3) naming the path when the path is not a
/// regular file (check_output_file), the folder is missing or not writable, the disk is full or
/// a file size limit is hit; nothing is left behind.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

/// Reads a whole file; throws DataError naming the path when it cannot be read (a folder, an I/O error).
std::string read_file(const std::filesystem::path& path);

}  // namespace curvtrack::core
