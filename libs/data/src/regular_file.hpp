#pragma once
// Reading parts of a regular file by offset (private to the data library): the IDX head reader
// takes the first rows of a large gzip file without reading the whole file.

#include <cstdint>
#include <filesystem>
#include <string>

namespace curvtrack::data::detail {

class RegularFile {
 public:
  /// Opens `path`; core::DataError "cannot read PATH: ..." when it is missing or not a regular file.
  explicit RegularFile(const std::filesystem::path& path);
  ~RegularFile();
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;

  std::uint64_t size() const { return size_; }
  /// Up to `bytes` bytes from `offset` (fewer at the end of the file).
  std::string read_at(std::uint64_t offset, std::size_t bytes) const;

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::string name_;
};

}  // namespace curvtrack::data::detail
