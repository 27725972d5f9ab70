// fastai's fit_one_cycle schedule as docs/methods.md section 1.4 states it, evaluated in double precision.
#include <cmath>
#include <string>

#include "checks.hpp"
#include "curvtrack/schedules/onecycle.hpp"

namespace curvtrack::schedules {

using detail::format_number;

namespace {

constexpr double kPi = 3.141592653589793;

// fastai's SchedCos: a at p = 0, b at p = 1.
double cos_between(double a, double b, double p) { return a + (1.0 + std::cos(kPi * (1.0 - p))) * (b - a) / 2.0; }

}  // namespace

void FastaiOneCycleOptions::check(std::int64_t total_steps) const {
  detail::check_total_steps(total_steps);
  detail::check_positive("lr_max", lr_max);
  detail::check_positive("div", div);
  detail::check_positive("final_div", final_div);
  detail::check_fraction("pct_start", pct_start);
  detail::check_momentum_range(mom_min, mom_max);
}

FastaiOneCycle::FastaiOneCycle(const FastaiOneCycleOptions& options, std::int64_t total_steps)
    : options_(options), total_steps_(total_steps) {
  options_.check(total_steps_);
}

ScheduleValue FastaiOneCycle::at(std::int64_t step) const {
  detail::check_step(step, total_steps_);
  const double pos = static_cast<double>(step) / static_cast<double>(total_steps_);
  const double pct = options_.pct_start;
  if (pos < pct) {
    double p = pos / pct;
    return {cos_between(options_.lr_max / options_.div, options_.lr_max, p),
            cos_between(options_.mom_max, options_.mom_min, p)};
  }
  double p = (pos - pct) / (1.0 - pct);
  return {cos_between(options_.lr_max, options_.lr_max / options_.final_div, p),
          cos_between(options_.mom_min, options_.mom_max, p)};
}

std::string FastaiOneCycle::describe() const {
  return "onecycle(variant=fastai, lr_max=" + format_number(options_.lr_max) + ", div=" + format_number(options_.div) +
         ", final_div=" + format_number(options_.final_div) + ", pct_start=" + format_number(options_.pct_start) +
         ", mom_min=" + format_number(options_.mom_min) + ", mom_max=" + format_number(options_.mom_max) +
         ", steps=" + std::to_string(total_steps_) + ")";
}

}  // namespace curvtrack::schedules
