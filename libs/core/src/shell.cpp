#include "curvtrack/core/shell.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "curvtrack/core/text.hpp"

namespace fs = std::filesystem;

namespace curvtrack::core {

std::string shell_quote(const std::string& word) {
  bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string("_-+=.,/:@%").find(c) != std::string::npos;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr || program.empty()) return false;
  for (const std::string& folder : split(path, ':')) {
    if (folder.empty()) continue;
    const fs::path candidate = fs::path(folder) / program;
    std::error_code error;
    if (fs::is_regular_file(candidate, error) && ::access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::optional<std::string> run_gnuplot(const fs::path& dir, const std::string& script_name,
                                       const std::vector<std::string>& outputs) {
  // Outputs left by an earlier run would pass for this run's.
  for (const auto& output : outputs) {
    std::error_code ignored;
    fs::remove(dir / output, ignored);
  }
  // No stdin: a script waiting for input (pause -1) must not hang the caller.
  const std::string command = "cd " + shell_quote(dir.string()) + " && gnuplot " + shell_quote(script_name) +
                              " 2>&1 </dev/null";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "could not start gnuplot for " + script_name;
  std::string said;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    if (said.size() < 4000) said += buffer;
  }
  const int status = ::pclose(pipe);
  bool ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  for (const auto& output : outputs) ok = ok && fs::exists(dir / output);
  if (ok) return std::nullopt;
  return "gnuplot failed on " + (dir / script_name).string() + (said.empty() ? "" : ": " + said);
}

}  // namespace curvtrack::core
