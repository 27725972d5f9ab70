#pragma once
// Runs the real curvtrack executable, as a user would, and captures what it prints.

#include <filesystem>
#include <string>
#include <vector>

namespace curvtrack::testing {

/// What one run of the tool returned.
struct ToolRun {
  int exit_code;
  std::string out;   ///< stdout
  std::string err;   ///< stderr
};

/// Runs `curvtrack ARGS...` (arguments are shell-quoted) and waits for it.
ToolRun run_tool(const std::vector<std::string>& arguments);

/// Starts `curvtrack ARGS...` in the background (stdout and stderr to files in `log_dir`); returns its pid.
int spawn_tool(const std::vector<std::string>& arguments, const std::filesystem::path& log_dir);

/// Waits for a spawned tool: its exit code, or -N when killed by signal N.
int wait_tool(int pid);

/// A fresh, empty temporary folder removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// A whole file's bytes ("" when it cannot be read).
std::string slurp(const std::filesystem::path& path);

/// Path of a model under tests/fixtures/models.
std::string fixture_model(const std::string& name);

}  // namespace curvtrack::testing
