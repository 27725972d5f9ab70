#pragma once
// Files that are either complete or absent: written to a temporary name, flushed, renamed.

#include <filesystem>
#include <string>

namespace curvtrack::core {

/// Writes `content` to `path` atomically (temporary file in the same folder, fsync, rename).
/// Throws DataError (a std::runtime_error; exit code 3) naming the path when the folder is
/// missing or not writable, the disk is full or a file size limit is hit; nothing is left behind.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

/// Reads a whole file; throws DataError naming the path when it cannot be read (a folder, an I/O error).
std::string read_file(const std::filesystem::path& path);

}  // namespace curvtrack::core
