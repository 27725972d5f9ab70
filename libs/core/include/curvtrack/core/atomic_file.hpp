#pragma once
// Files that are either complete or absent: written to a temporary name, flushed, renamed.

#include <filesystem>
#include <string>

namespace curvtrack::core {

/// Writes `content` to `path` atomically (temporary file in the same folder, fsync, rename).
/// Throws std::runtime_error naming the path when the folder is not writable or the disk is full.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

/// Reads a whole file; throws DataError naming the path when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace curvtrack::core
