#include "curvtrack/core/signals.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>

#include "curvtrack/core/errors.hpp"

namespace curvtrack::core {
namespace {

std::atomic<bool> checkpoint_flag{false};
std::atomic<int> stop_count{0};
std::atomic<bool> resumable_flag{false};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "signal handlers need lock-free atomics");

extern "C" void on_signal(int signal_number) {
  if (signal_number == SIGUSR1) {
    checkpoint_flag.store(true);
    return;
  }
  if (stop_count.fetch_add(1) >= 1) {
    // Second request: stop now. Every file is written atomically, so the directory stays consistent.
    ::_exit(resumable_flag.load() ? static_cast<int>(ExitCode::kPreempted) : static_cast<int>(ExitCode::kFailure));
  }
}

}  // namespace

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal_number : {SIGUSR1, SIGTERM, SIGINT}) sigaction(signal_number, &action, nullptr);
}

bool take_checkpoint_request() { return checkpoint_flag.exchange(false); }

bool stop_requested() { return stop_count.load() > 0; }

void set_resumable(bool resumable) { resumable_flag.store(resumable); }

void reset_signal_flags() {
  checkpoint_flag.store(false);
  stop_count.store(0);
}

}  // namespace curvtrack::core
