#pragma once
// Test hooks that simulate a crash (SIGKILL, power loss) at a chosen point of a write, so that
// tests can prove a killed process leaves a consistent run directory. Never armed in normal use.

#include <cstddef>

namespace curvtrack::core {

/// Arms a one-shot crash: the next write_file_atomically of this process raises SIGKILL once
/// `bytes` bytes of its temporary file have been written (the rest is never written).
void kill_during_next_atomic_write(std::size_t bytes);

/// Raises SIGKILL on this process at once (after flushing nothing): a crash at this point.
[[noreturn]] void kill_now();

}  // namespace curvtrack::core
