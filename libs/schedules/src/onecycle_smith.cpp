#include <string>

#include "checks.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/schedules/onecycle.hpp"

namespace curvtrack::schedules {

using detail::format_number;

namespace {

// Linear interpolation from a to b as fraction goes 0 -> 1.
double lerp(double a, double b, double fraction) { return a + (b - a) * fraction; }

}  // namespace

void SmithOneCycleOptions::check(std::int64_t total_steps) const {
  detail::check_total_steps(total_steps);
  detail::check_positive("lr_max", lr_max);
  detail::check_positive("div", div);
  detail::check_fraction("cycle_frac", cycle_frac);
  if (!(annihilate >= 1.0)) {
    throw core::UsageError(detail::key_value("annihilate", annihilate) +
                           " must be >= 1 (the final rate is lr_max/(div*annihilate))");
  }
  detail::check_momentum_range(mom_min, mom_max);
  double cycle_end = cycle_frac * static_cast<double>(total_steps);
  if (!(cycle_end < static_cast<double>(total_steps - 1))) {
    throw core::UsageError(detail::key_value("cycle_frac", cycle_frac) + " with " + std::to_string(total_steps) +
                           " steps leaves no annihilation phase: cycle_frac*steps (" + format_number(cycle_end) +
                           ") must be < steps-1 (" + std::to_string(total_steps - 1) + ")");
  }
}

SmithOneCycle::SmithOneCycle(const SmithOneCycleOptions& options, std::int64_t total_steps)
    : options_(options), total_steps_(total_steps) {
  options_.check(total_steps_);
}

ScheduleValue SmithOneCycle::at(std::int64_t step) const {
  detail::check_step(step, total_steps_);
  const double t = static_cast<double>(step);
  const double cycle_end = options_.cycle_frac * static_cast<double>(total_steps_);
  const double peak = cycle_end / 2.0;
  const double last = static_cast<double>(total_steps_ - 1);
  const double low = options_.lr_max / options_.div;
  if (t <= peak) {
    double f = t / peak;
    return {lerp(low, options_.lr_max, f), lerp(options_.mom_max, options_.mom_min, f)};
  }
  if (t <= cycle_end) {
    double f = (t - peak) / (cycle_end - peak);
    return {lerp(options_.lr_max, low, f), lerp(options_.mom_min, options_.mom_max, f)};
  }
  // Annihilation: the rate keeps falling below the cycle's minimum, momentum stays high.
  double f = (t - cycle_end) / (last - cycle_end);
  return {lerp(low, low / options_.annihilate, f), options_.mom_max};
}

std::string SmithOneCycle::describe() const {
  return "onecycle(variant=smith, lr_max=" + format_number(options_.lr_max) + ", div=" + format_number(options_.div) +
         ", cycle_frac=" + format_number(options_.cycle_frac) + ", annihilate=" + format_number(options_.annihilate) +
         ", mom_min=" + format_number(options_.mom_min) + ", mom_max=" + format_number(options_.mom_max) +
         ", steps=" + std::to_string(total_steps_) + ")";
}

}  // namespace curvtrack::schedules
