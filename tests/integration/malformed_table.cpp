#include "test_prelude.hpp"

#include "malformed_table.hpp"

#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

namespace fs = std::filesystem;

namespace curvtrack::testing {

Tmpfs::Tmpfs(const fs::path& where, const std::string& options) : where_(where) {
  fs::create_directories(where);
  mounted_ = ::mount("tmpfs", where.c_str(), "tmpfs", 0, options.c_str()) == 0;
}

Tmpfs::~Tmpfs() {
  if (mounted_) ::umount2(where_.c_str(), MNT_DETACH);
}

void Tmpfs::make_read_only() const {
  REQUIRE(::mount("tmpfs", where_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0);
}

bool mount_allowed() {
  static const bool allowed = [] {
    TempDir probe;
    return Tmpfs(probe.path() / "mnt", "size=16k").mounted();
  }();
  return allowed;
}

fs::path CaseDir::mount(const std::string& name, const std::string& options) {
  mounts.push_back(std::make_unique<Tmpfs>(dir / name, options));
  REQUIRE(mounts.back()->mounted());
  return dir / name;
}

std::string status_of(const std::string& meta_text) {
  try {
    auto meta = nlohmann::json::parse(meta_text);
    return meta.is_object() && meta.contains("status") && meta["status"].is_string() ? meta["status"].get<std::string>() : "";
  } catch (const std::exception&) {
    return "";
  }
}

namespace {

// Every regular file under `root` (symbolic links not followed: some point at /proc/self/mem;
// FIFOs and sockets are never opened).
std::map<fs::path, std::string> snapshot(const fs::path& root) {
  std::map<fs::path, std::string> files;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_symlink()) continue;
    if (it->is_regular_file()) files[fs::relative(it->path(), root)] = slurp(it->path());
  }
  return files;
}

// The kind of every entry under `root` (lstat: a link is a link).
std::map<fs::path, fs::file_type> kinds(const fs::path& root) {
  std::map<fs::path, fs::file_type> entries;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    entries[fs::relative(it->path(), root)] = it->symlink_status().type();
  }
  return entries;
}

}  // namespace

ToolRun run_tool_bounded(const std::vector<std::string>& args, const SpawnOptions& options, int limit_seconds,
                         bool& hung) {
  TempDir capture;
  int pid = spawn_tool(args, capture.path(), options);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limit_seconds);
  int status = 0;
  hung = false;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      hung = true;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int code = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
  return {code, slurp(capture.path() / "spawn.out"), slurp(capture.path() / "spawn.err")};
}

namespace {

std::string one_line_error_prefix(const std::vector<std::string>& args) { return "curvtrack " + args.front() + ": error: "; }

// Runs one row and checks it; returns false when it was skipped (no mount).
bool check_case(const Case& row) {
  if (row.needs_mount && !mount_allowed()) return false;
  TempDir temp;
  CaseDir c{temp.path(), {}};
  std::vector<std::string> args = row.setup(c);
  auto before = snapshot(c.dir);
  auto kinds_before = kinds(c.dir);
  bool hung = false;
  ToolRun run = run_tool_bounded(args, row.options, 300, hung);  // a row must not hang
  auto after = snapshot(c.dir);
  auto kinds_after = kinds(c.dir);

  INFO("case: " << row.name);
  INFO("exit code " << run.exit_code << "; stderr: " << run.err << "; stdout: " << run.out);
  CHECK_FALSE(hung);
  // Exit code 2 or 3 as the row says: not 1 (an unexpected exception), not a signal (a crash).
  REQUIRE((row.exit_code == 2 || row.exit_code == 3));
  CHECK(run.exit_code == row.exit_code);
  // One line, the error, naming the thing at fault; nothing on stdout; no backtrace.
  CHECK(run.out.empty());
  CHECK(run.err.rfind(one_line_error_prefix(args), 0) == 0);
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  CHECK((!run.err.empty() && run.err.back() == '\n'));
  CHECK(run.err.find("Exception raised from") == std::string::npos);
  CHECK(run.err.find("frame #") == std::string::npos);
  CHECK(run.err.find("Traceback of TorchScript") == std::string::npos);
  CHECK(run.err.find("<--- HERE") == std::string::npos);
  for (const auto& name : row.names) {
    INFO("the message should name: " << name);
    CHECK(run.err.find(name) != std::string::npos);
  }
  // Nothing earlier damaged: files that were there are byte-identical (or allowed to change),
  // and every entry is still what it was (a FIFO, socket, link or folder is not replaced).
  std::set<fs::path> may_change(row.may_change.begin(), row.may_change.end());
  for (const auto& [path, bytes] : before) {
    INFO("earlier file " << path);
    CHECK(after.count(path) == 1);
    if (after.count(path) == 1 && may_change.count(path) == 0) CHECK(after.at(path) == bytes);
  }
  for (const auto& [path, kind] : kinds_before) {
    INFO("earlier entry " << path);
    CHECK(kinds_after.count(path) == 1);
    if (kinds_after.count(path) == 1) CHECK(static_cast<int>(kinds_after.at(path)) == static_cast<int>(kind));
  }
  // Nothing partial presented as complete: no temporary files, no new output, no run completed.
  for (const auto& [path, kind] : kinds_after) {
    INFO("entry after the failure " << path);
    CHECK(path.string().find(".tmp.") == std::string::npos);
  }
  for (const auto& [path, bytes] : after) {
    INFO("file after the failure " << path);
    CHECK(path.filename() != "report.md");
    if (before.count(path) == 0) CHECK(path.filename() != "out.json");  // a new spectrum result
    if (path.filename() == "meta.json" && status_of(bytes) == "completed") {
      CHECK((before.count(path) == 1 && status_of(before.at(path)) == "completed"));
    }
    if (path.filename() == "meta.json" && before.count(path) == 0) {
      CHECK(status_of(bytes) != "completed");
    }
    if (path.extension() == ".pt" && path.parent_path().filename() == "checkpoints" && before.count(path) == 0) {
      CHECK(after.count(fs::path(path.string() + ".fnv")) == 1);  // a checkpoint only with its fingerprint
    }
  }
  return true;
}

std::vector<std::pair<std::string, std::vector<Case> (*)()>>& tables() {
  static std::vector<std::pair<std::string, std::vector<Case> (*)()>> registered;
  return registered;
}

}  // namespace

void run_table(const std::string& group, const std::vector<Case>& rows) {
  int tried = 0, skipped = 0;
  for (const auto& row : rows) {
    if (check_case(row)) {
      ++tried;
    } else {
      ++skipped;
    }
  }
  if (skipped > 0) WARN(group << ": " << skipped << " tmpfs case(s) skipped: mount(2) is not allowed here");
  std::printf("malformed inputs (%s): %d tried, %d skipped\n", group.c_str(), tried, skipped);
}

bool register_table(const std::string& group, std::vector<Case> (*rows)()) {
  tables().emplace_back(group, rows);
  return true;
}

const std::vector<std::pair<std::string, std::vector<Case> (*)()>>& registered_tables() { return tables(); }

}  // namespace curvtrack::testing

TEST_CASE("the malformed-input tables have at least 30 distinct cases", "[integration]") {
  std::set<std::string> names;
  std::size_t total = 0;
  for (const auto& [group, rows] : curvtrack::testing::registered_tables()) {
    for (const auto& row : rows()) {
      names.insert(row.name);
      ++total;
    }
  }
  INFO(total << " cases in " << curvtrack::testing::registered_tables().size() << " tables");
  std::printf("malformed inputs: %zu cases in %zu tables\n", total, curvtrack::testing::registered_tables().size());
  REQUIRE(curvtrack::testing::registered_tables().size() >= 5);
  REQUIRE(names.size() == total);
  REQUIRE(total >= 30);
}
