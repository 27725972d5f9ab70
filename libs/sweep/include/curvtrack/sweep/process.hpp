#pragma once
// Child processes without a shell: run and wait, or run and capture stdout.

#include <filesystem>
#include <string>
#include <vector>

namespace curvtrack::sweep {

/// Runs `argv` (argv[0] is a path, not looked up unless it has no '/') and waits. stdout and
/// stderr go to `log` (appended) when it is non-empty, else they are inherited. Returns the exit
/// code, or 128 + N when killed by signal N; throws std::runtime_error when it cannot start.
int run_process(const std::vector<std::string>& argv, const std::filesystem::path& log = {});

/// What a captured child printed on stdout, and its exit code (128 + N when killed by signal N).
struct Captured {
  int exit_code = 0;
  std::string out;
};

/// Runs `argv` with stdout captured (stderr inherited), looking argv[0] up in PATH.
/// Throws std::runtime_error when it cannot start.
Captured capture_process(const std::vector<std::string>& argv);

/// True when `name` is an executable file in one of the PATH folders.
bool on_path(const std::string& name);

/// The absolute path of the running executable (/proc/self/exe, resolved).
std::filesystem::path self_executable();

/// Cores this process may run on (its CPU affinity mask), at least 1.
int available_cores();

}  // namespace curvtrack::sweep
