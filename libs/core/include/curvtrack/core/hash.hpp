#pragma once
// Content fingerprints that tie a result to the exact file it was computed from.

#include <cstdint>
#include <filesystem>
#include <string>

namespace curvtrack::core {

/// 64-bit FNV-1a of a byte string, as 16 lowercase hex digits.
std::string fnv1a64_hex(const std::string& bytes);

/// fnv1a64_hex of a file's contents; throws DataError naming the path when unreadable.
std::string file_fingerprint(const std::filesystem::path& path);

}  // namespace curvtrack::core
