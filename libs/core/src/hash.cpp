#include "curvtrack/core/hash.hpp"

#include <cstdio>

#include "curvtrack/core/atomic_file.hpp"

namespace curvtrack::core {

std::string fnv1a64_hex(const std::string& bytes) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= 1099511628211ULL;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

std::string file_fingerprint(const std::filesystem::path& path) { return fnv1a64_hex(read_file(path)); }

}  // namespace curvtrack::core
