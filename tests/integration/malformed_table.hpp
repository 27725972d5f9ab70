#pragma once
// The malformed-input table runner (issue 7, "Hardening", and its second round): every row
// feeds one bad input through the real curvtrack executable and checks, the same way for every
// row, that the tool
//   - exits with 2 (usage or configuration) or 3 (data, or an output not writable): not 1, not
//     a signal (a crash), and within a time limit (not a hang, e.g. on a FIFO);
//   - prints exactly one line on stderr, "curvtrack CMD: error: ...", naming the file, key or
//     value at fault, with no LibTorch backtrace in it, and nothing on stdout;
//   - presents no partial result as complete: no new output file, no temporary file left
//     behind, no run marked completed;
//   - damages no earlier good result: every file that existed before is byte-identical
//     afterwards (a row may name files allowed to change, e.g. meta.json recording the
//     failure), and every entry keeps its kind (a FIFO, socket, link or folder is never
//     replaced by a regular file).
// The rows live in test_malformed_*.cpp, one file per class of input; each file registers its
// tables so that one test can count them all.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "run_tool.hpp"

namespace curvtrack::testing {

/// A tmpfs mounted on `where` for the lifetime of the object (lazily detached afterwards).
class Tmpfs {
 public:
  Tmpfs(const std::filesystem::path& where, const std::string& options);
  ~Tmpfs();
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  bool mounted() const { return mounted_; }
  void make_read_only() const;

 private:
  std::filesystem::path where_;
  bool mounted_ = false;
};

/// Whether mount(2) works here (root with CAP_SYS_ADMIN); rows that need it are skipped otherwise.
bool mount_allowed();

/// One row's own folder, and the tmpfs mounts made in it.
struct CaseDir {
  std::filesystem::path dir;
  std::vector<std::unique_ptr<Tmpfs>> mounts;
  /// Mounts a tmpfs on dir/name (REQUIREs that it worked) and returns its path.
  std::filesystem::path mount(const std::string& name, const std::string& options);
};

/// One malformed input: the files set up in its folder, the command, what it must say.
struct Case {
  std::string name;                                                ///< what is malformed
  std::function<std::vector<std::string>(CaseDir&)> setup;        ///< writes the inputs, returns the arguments
  int exit_code;                                                   ///< 2 or 3
  std::vector<std::string> names;                                  ///< substrings of the error: the file, key or value
  SpawnOptions options = {};
  std::vector<std::string> may_change = {};  ///< files (relative) allowed to change, e.g. a run's meta.json
  bool needs_mount = false;
};

/// Runs `curvtrack ARGS...` like run_tool, but kills it (SIGKILL) after `limit_seconds`; `hung`
/// says whether it had to.
ToolRun run_tool_bounded(const std::vector<std::string>& args, const SpawnOptions& options, int limit_seconds,
                         bool& hung);

/// Runs every row of a table and checks it; prints how many were tried and skipped.
void run_table(const std::string& group, const std::vector<Case>& rows);

/// Registers a table under a name (from a test file's namespace scope); returns true.
bool register_table(const std::string& group, std::vector<Case> (*rows)());

/// Every registered table, in registration order.
const std::vector<std::pair<std::string, std::vector<Case> (*)()>>& registered_tables();

/// The "status" of a meta.json text ("" when absent or not JSON).
std::string status_of(const std::string& meta_text);

}  // namespace curvtrack::testing
