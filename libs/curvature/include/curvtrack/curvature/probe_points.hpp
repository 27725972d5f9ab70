#pragma once
// When along a trajectory the curvature is probed: fractions of training, every K steps,
// log-spaced steps, and the named points `peak` (largest learning rate) and `end`.

#include <cstdint>
#include <string>
#include <vector>

#include "curvtrack/schedules/schedule.hpp"

namespace curvtrack::curvature {

/// One probe: before update `step` (step == total means after the last update).
struct ProbePoint {
  std::int64_t step;
  std::string label;   ///< "peak", "end", "fraction 0.3", "every", "log"
};

/// Parses a comma list of items: a fraction in [0,1], `peak`, `end`, `every:K`, `log:N`.
/// Steps are deduplicated and sorted; `peak` and `end` label their step whatever else lands there.
/// Throws core::UsageError naming the item and the accepted forms.
std::vector<ProbePoint> probe_points(const std::string& spec, const schedules::Schedule& schedule);

/// The first step at which the schedule's learning rate is largest.
std::int64_t peak_step(const schedules::Schedule& schedule);

}  // namespace curvtrack::curvature
