#include "curvtrack/sweep/local_pool.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <stdexcept>
#include <thread>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/runs/meta.hpp"

namespace fs = std::filesystem;

namespace curvtrack::sweep {
namespace {

// Handlers only count signals; the pool loop polls the count.
volatile sig_atomic_t g_stop_signals = 0;
void on_stop_signal(int) { g_stop_signals = g_stop_signals + 1; }

// Installs the INT/TERM handlers for the pool's lifetime and restores the previous ones.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signals = 0;
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// An exclusive lock on OUT/.sweep.lock, so that two sweeps never train the same run at once.
class StudyLock {
 public:
  explicit StudyLock(const fs::path& out) {
    fs::create_directories(out);
    fs::path path = out / ".sweep.lock";
    core::check_output_file(path);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw core::DataError("cannot open " + path.string() + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw core::UsageError("another sweep of this study is running (" + path.string() + " is locked)");
    }
  }
  ~StudyLock() { ::close(fd_); }
  StudyLock(const StudyLock&) = delete;
  StudyLock& operator=(const StudyLock&) = delete;

 private:
  int fd_ = -1;
};

std::string label(const StudyRun& run) { return run.arm + "/seed-" + std::to_string(run.seed); }

std::string local_time() {
  std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
  return text;
}

// Starts one run: its own process group (a terminal's Ctrl-C reaches only the sweep, which
// forwards one TERM), TERM if the sweep dies, output appended to RUN_DIR/train.log.
pid_t launch(const std::vector<std::string>& command, const fs::path& log) {
  core::check_output_file(log);  // a FIFO would block the open, a device would take the log
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw core::DataError("cannot open " + log.string() + ": " + std::strerror(errno));
  std::string header = "=== curvtrack sweep " + local_time() + ": " + shell_command(command) + "\n";
  if (::write(log_fd, header.data(), header.size()) < 0) { /* the log is best effort */ }
  std::vector<std::string> words = command;
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    if (::dup2(log_fd, STDOUT_FILENO) < 0 || ::dup2(log_fd, STDERR_FILENO) < 0) ::_exit(127);
    ::execv(argv[0], argv.data());
    std::string message = std::string("curvtrack sweep: cannot execute ") + argv[0] + ": " + std::strerror(errno) + "\n";
    if (::write(STDERR_FILENO, message.data(), message.size()) < 0) { /* nothing more to do */ }
    ::_exit(127);
  }
  ::close(log_fd);
  return pid;
}

struct Active {
  std::size_t index;
  std::chrono::steady_clock::time_point start;
};

}  // namespace

std::string RunState::word() const {
  if (found == Found::kNothing) return "";
  if (found == Found::kUnreadable) return "unreadable";
  return status ? runs::status_name(*status) : "unknown";
}

bool RunState::finished() const {
  return found == Found::kRecorded && (status == runs::RunStatus::kCompleted || status == runs::RunStatus::kDiverged);
}

RunState run_state(const fs::path& run_dir) {
  std::error_code error;
  if (!fs::exists(run_dir / "meta.json", error)) return {};
  try {
    return {RunState::Found::kRecorded, runs::RunMeta(run_dir / "meta.json").record().status};
  } catch (const std::exception&) {
    return {RunState::Found::kUnreadable, std::nullopt};
  }
}

std::vector<std::string> local_command(const Study& study, const StudyRun& run, const LocalPoolOptions& options) {
  std::vector<std::string> command = {options.executable.string()};
  auto arguments = train_arguments(study, run);
  command.insert(command.end(), arguments.begin(), arguments.end());
  command.insert(command.end(), {"--threads", std::to_string(options.threads), "--quiet"});
  return command;
}

PoolResult run_local(const Study& study, const std::vector<StudyRun>& runs, const LocalPoolOptions& options) {
  if (options.jobs < 1 || options.threads < 1) throw std::invalid_argument("run_local: jobs and threads must be >= 1");
  StudyLock lock(study.out);
  PoolResult result;
  std::FILE* progress = options.progress;
  const std::size_t total = runs.size();
  std::deque<std::size_t> pending;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (run_state(runs[i].run_dir).finished()) {
      ++result.skipped;
    } else {
      pending.push_back(i);
    }
  }
  if (progress) {
    std::fprintf(progress, "sweep: %s: %zu runs, %d already done, %zu to run, %d at a time, %d threads each\n",
                 study.name.c_str(), total, result.skipped, pending.size(), options.jobs, options.threads);
  }

  StopSignals signals;
  std::map<pid_t, Active> active;
  std::map<std::size_t, int> restarts;
  int forwarded = 0;
  auto done = [&] { return result.skipped + result.completed + result.diverged + static_cast<int>(result.failed.size()); };
  auto fail = [&](std::size_t index, const std::string& why) {
    const StudyRun& run = runs[index];
    result.failed.push_back(label(run) + ": " + why + " (see " + (run.run_dir / "train.log").string() + ")");
  };

  while (!active.empty() || (!pending.empty() && !result.interrupted)) {
    if (g_stop_signals > forwarded) {
      forwarded = g_stop_signals;
      if (!result.interrupted && progress) {
        std::fprintf(progress, "sweep: stop requested: sending TERM to %zu running run(s) and waiting\n", active.size());
      }
      result.interrupted = true;
      for (const auto& entry : active) ::kill(entry.first, SIGTERM);
    }
    while (!result.interrupted && static_cast<int>(active.size()) < options.jobs && !pending.empty()) {
      std::size_t index = pending.front();
      pending.pop_front();
      const StudyRun& run = runs[index];
      std::string before = run_state(run.run_dir).word();
      fs::create_directories(run.run_dir);
      pid_t pid = -1;
      try {
        pid = launch(local_command(study, run, options), run.run_dir / "train.log");
      } catch (const core::DataError& error) {  // e.g. train.log is a FIFO: this run fails, the others go on
        fail(index, error.what());
        if (progress) std::fprintf(progress, "sweep: failed %s: %s\n", label(run).c_str(), error.what());
        continue;
      }
      active[pid] = {index, std::chrono::steady_clock::now()};
      if (progress) {
        std::fprintf(progress, "sweep: start  %s%s\n", label(run).c_str(),
                     before.empty() ? "" : (" (resuming a " + before + " run)").c_str());
      }
    }
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    auto found = active.find(pid);
    if (found == active.end()) continue;  // not one of ours
    Active finished = found->second;
    active.erase(found);
    const StudyRun& run = runs[finished.index];
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - finished.start).count();
    std::string outcome;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      RunState state = run_state(run.run_dir);
      outcome = state.word();
      if (state.status == runs::RunStatus::kCompleted) {
        ++result.completed;
      } else if (state.status == runs::RunStatus::kDiverged) {
        ++result.diverged;
      } else {
        fail(finished.index, "exited 0 with status '" + outcome + "'");
        outcome = "failed";
      }
    } else if (result.interrupted && ((WIFEXITED(status) && WEXITSTATUS(status) == 75) ||
                                      (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM))) {
      // Stopped by our TERM: resumable (a run stopped before its handlers were installed
      // has no checkpoint yet and simply starts again).
      outcome = "stopped";
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 75) {
      if (++restarts[finished.index] <= options.max_restarts) {
        pending.push_back(finished.index);
        outcome = "preempted, resumed later";
      } else {
        fail(finished.index, "preempted " + std::to_string(options.max_restarts + 1) + " times");
        outcome = "failed";
      }
    } else {
      std::string why = WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                                          : "killed by signal " + std::to_string(WTERMSIG(status));
      fail(finished.index, why);
      outcome = "failed (" + why + ")";
    }
    if (progress) {
      std::fprintf(progress, "sweep: [%d/%zu] %s %s (%.1fs)%s\n", done(), total, label(run).c_str(), outcome.c_str(),
                   seconds, result.failed.empty() ? "" : (", " + std::to_string(result.failed.size()) + " failed").c_str());
    }
  }

  if (result.interrupted) {
    result.exit_code = static_cast<int>(core::ExitCode::kPreempted);
  } else {
    result.exit_code = result.failed.empty() ? 0 : 1;
  }
  if (progress) {
    std::fprintf(progress, "sweep: %s: %d completed, %d diverged, %d skipped (already done), %zu failed%s\n",
                 study.name.c_str(), result.completed, result.diverged, result.skipped, result.failed.size(),
                 result.interrupted ? "; stopped on a signal (resume with the same command)" : "");
    for (const auto& failure : result.failed) std::fprintf(progress, "sweep: failed: %s\n", failure.c_str());
  }
  return result;
}

}  // namespace curvtrack::sweep
