#pragma once
// Helpers every test target shares (linked through the test main library): a temporary
// folder and whole-file reads.

#include <filesystem>
#include <string>

namespace curvtrack::testing {

/// A fresh, empty temporary folder removed with its contents when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  /// Writes `content` to `name` inside the folder and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

/// A whole file's bytes ("" when it cannot be read).
std::string slurp(const std::filesystem::path& path);

}  // namespace curvtrack::testing
