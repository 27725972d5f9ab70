#pragma once
// Helpers every test target shares (linked through the test main library, torch-free): a
// temporary folder, whole-file reads, substring counts and a relative gap between matrices.
// Helpers on torch tensors live in torch_support.hpp (library curvtrack_test_torch_support).

#include <cstddef>
#include <filesystem>
#include <string>

namespace curvtrack::testing {

/// A fresh, empty temporary folder, unique to this object (process id and a counter), removed
/// with its contents when the object goes away.
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

/// Number of non-overlapping occurrences of `needle` in `text`.
std::size_t count_of(const std::string& text, const std::string& needle);

/// Largest absolute entry of a - b over the largest absolute entry of b, for Eigen matrices or
/// vectors (a template, so that this library needs no Eigen).
template <class A, class B>
double relative_gap(const A& a, const B& b) {
  return (a - b).cwiseAbs().maxCoeff() / b.cwiseAbs().maxCoeff();
}

}  // namespace curvtrack::testing
