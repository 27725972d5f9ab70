#pragma once
// How long the running process has existed: for phase timings that start at process start
// (program loading and static initialisation included).

namespace curvtrack::core {

/// Seconds since this process started (Linux: its start time in /proc/self/stat, in clock ticks,
/// against CLOCK_BOOTTIME; resolution 1/CLK_TCK, usually 10 ms). NaN where that is unavailable.
double seconds_since_process_start();

}  // namespace curvtrack::core
