#include "test_prelude.hpp"

#include "run_tool.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace curvtrack::testing {
namespace {

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

ToolRun run_tool(const std::vector<std::string>& arguments) {
  TempDir capture;
  std::string command = shell_quote(CURVTRACK_BINARY);
  for (const auto& argument : arguments) command += " " + shell_quote(argument);
  command += " >" + shell_quote((capture.path() / "out").string()) + " 2>" +
             shell_quote((capture.path() / "err").string()) + " </dev/null";
  int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) throw std::runtime_error("could not run " + command);
  return {WEXITSTATUS(status), slurp(capture.path() / "out"), slurp(capture.path() / "err")};
}

ToolRun run_tool(const std::vector<std::string>& arguments, const SpawnOptions& options) {
  TempDir capture;
  int code = wait_tool(spawn_tool(arguments, capture.path(), options));
  return {code, slurp(capture.path() / "spawn.out"), slurp(capture.path() / "spawn.err")};
}

int spawn_tool(const std::vector<std::string>& arguments, const std::filesystem::path& log_dir,
               const SpawnOptions& options) {
  std::vector<std::string> words = {CURVTRACK_BINARY};
  words.insert(words.end(), arguments.begin(), arguments.end());
  std::string out = (log_dir / "spawn.out").string(), err = (log_dir / "spawn.err").string();
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  std::vector<std::string> assignments;
  for (const auto& [name, value] : options.environment) assignments.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    std::string entry = *variable;
    bool replaced = false;
    for (const auto& [name, value] : options.environment) replaced = replaced || entry.rfind(name + "=", 0) == 0;
    if (!replaced) envp.push_back(*variable);
  }
  for (auto& assignment : assignments) envp.push_back(assignment.data());
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int in_fd = ::open("/dev/null", O_RDONLY);
    int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0 || ::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) {
      ::_exit(127);
    }
    if (options.own_process_group) ::setpgid(0, 0);
    if (options.file_size_limit >= 0) {
      ::signal(SIGXFSZ, SIG_IGN);  // stays ignored across exec: the write fails with EFBIG instead
      rlimit limit{static_cast<rlim_t>(options.file_size_limit), static_cast<rlim_t>(options.file_size_limit)};
      if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(127);
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  if (options.own_process_group) ::setpgid(pid, pid);  // also from here: no race with a kill(-pid)
  return pid;
}

int wait_tool(int pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) throw std::runtime_error("waitpid failed");
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

namespace {

nlohmann::json without_seconds(nlohmann::json value) {
  if (value.is_object()) {
    value.erase("seconds");
    for (auto& item : value.items()) item.value() = without_seconds(item.value());
  } else if (value.is_array()) {
    for (auto& item : value) item = without_seconds(item);
  }
  return value;
}

}  // namespace

std::string local_slurm_conf() {
  if (std::system("command -v sbatch >/dev/null 2>&1 && command -v srun >/dev/null 2>&1") != 0) {
    WARN("sbatch/srun not found: Slurm test skipped (apt-get install slurmctld slurmd slurm-client munge)");
    return "";
  }
  const std::string script = std::string(CURVTRACK_SOURCE_DIR) + "/scripts/slurm-local.sh";
  if (std::system((script + " start >/dev/null 2>&1").c_str()) != 0) {
    WARN("the local Slurm cluster did not start (" + script + " start): Slurm test skipped");
    return "";
  }
  const char* state = std::getenv("CURVTRACK_SLURM_DIR");
  return std::string(state ? state : "/tmp/curvtrack-slurm") + "/etc/slurm.conf";
}

nlohmann::json meta_of(const std::filesystem::path& run_dir) {
  try {
    return nlohmann::json::parse(slurp(run_dir / "meta.json"));
  } catch (const std::exception&) {
    return nlohmann::json::object();
  }
}

std::vector<nlohmann::json> curvature_records(const std::filesystem::path& path) {
  std::vector<nlohmann::json> records;
  std::istringstream lines(slurp(path));
  std::string line;
  while (std::getline(lines, line)) {
    if (lines.eof()) break;  // no newline after it: a torn last line
    records.push_back(without_seconds(nlohmann::json::parse(line)));
  }
  return records;
}

std::string fixture_model(const std::string& name) { return std::string(CURVTRACK_MODEL_DIR) + "/" + name; }

}  // namespace curvtrack::testing
