// PyTorch 1.13 OneCycleLR, formulas and floating-point order as in torch/optim/lr_scheduler.py.
#include <cmath>
#include <string>

#include "checks.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/schedules/onecycle.hpp"

namespace curvtrack::schedules {

using detail::format_number;

namespace {

constexpr double kPi = 3.141592653589793;  // Python's math.pi

// Phase ends exactly as PyTorch computes them (float(pct*N) - 1, float(2*pct*N) - 2, N - 1).
double first_end(double pct_start, std::int64_t n) { return pct_start * static_cast<double>(n) - 1.0; }
double second_end(double pct_start, std::int64_t n) { return 2.0 * pct_start * static_cast<double>(n) - 2.0; }
double last_end(std::int64_t n) { return static_cast<double>(n - 1); }

double anneal(Anneal kind, double start, double end, double pct) {
  if (kind == Anneal::kCos) {
    double cos_out = std::cos(kPi * pct) + 1.0;
    return end + (start - end) / 2.0 * cos_out;
  }
  return (end - start) * pct + start;
}

}  // namespace

void TorchOneCycleOptions::check(std::int64_t total_steps) const {
  detail::check_total_steps(total_steps);
  detail::check_positive("lr_max", lr_max);
  detail::check_positive("div", div);
  detail::check_positive("final_div", final_div);
  detail::check_fraction("pct_start", pct_start);
  detail::check_momentum_range(mom_min, mom_max);
  // PyTorch divides by each phase's length; a zero-length phase is reached (and raises
  // ZeroDivisionError) only if it is the first (at step 0, in the constructor) or the last
  // (at the N-th scheduler.step(), right after the last update). Negative lengths pass there.
  const std::string context = detail::key_value("pct_start", pct_start) + " with " + std::to_string(total_steps) +
                              " steps";
  if (first_end(pct_start, total_steps) == 0.0) {
    throw core::UsageError(context + " gives a rising phase of zero length (pct_start*steps - 1 == 0); "
                           "PyTorch's OneCycleLR divides by zero there: change pct_start or the step count");
  }
  double before_last = three_phase ? second_end(pct_start, total_steps) : first_end(pct_start, total_steps);
  if (before_last == last_end(total_steps)) {
    throw core::UsageError(context + (three_phase ? " and three_phase=true" : "") +
                           " gives a final phase of zero length; PyTorch's OneCycleLR divides by zero "
                           "after the last update: change pct_start or the step count");
  }
}

TorchOneCycle::TorchOneCycle(const TorchOneCycleOptions& options, std::int64_t total_steps)
    : options_(options), total_steps_(total_steps) {
  options_.check(total_steps_);
  const double initial = options_.lr_max / options_.div;
  const double minimum = initial / options_.final_div;
  const double top = options_.lr_max;
  const double mom_lo = options_.mom_min;
  const double mom_hi = options_.mom_max;
  const double end1 = first_end(options_.pct_start, total_steps_);
  if (options_.three_phase) {
    phases_ = {{end1, initial, top, mom_hi, mom_lo},
               {second_end(options_.pct_start, total_steps_), top, initial, mom_lo, mom_hi},
               {last_end(total_steps_), initial, minimum, mom_hi, mom_hi}};
  } else {
    phases_ = {{end1, initial, top, mom_hi, mom_lo}, {last_end(total_steps_), top, minimum, mom_lo, mom_hi}};
  }
}

ScheduleValue TorchOneCycle::at(std::int64_t step) const {
  detail::check_step(step, total_steps_);
  const double t = static_cast<double>(step);
  double start = 0.0;
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    const Phase& phase = phases_[i];
    // PyTorch takes the first phase whose end is not before t, else the last one.
    if (t <= phase.end_step || i + 1 == phases_.size()) {
      double pct = (t - start) / (phase.end_step - start);
      return {anneal(options_.anneal, phase.start_lr, phase.end_lr, pct),
              anneal(options_.anneal, phase.start_momentum, phase.end_momentum, pct)};
    }
    start = phase.end_step;
  }
  return {phases_.back().end_lr, phases_.back().end_momentum};  // unreachable: the last phase always matches
}

std::string TorchOneCycle::describe() const {
  return "onecycle(variant=torch, lr_max=" + format_number(options_.lr_max) + ", div=" + format_number(options_.div) +
         ", final_div=" + format_number(options_.final_div) + ", pct_start=" + format_number(options_.pct_start) +
         ", anneal=" + (options_.anneal == Anneal::kCos ? "cos" : "linear") +
         ", three_phase=" + (options_.three_phase ? "true" : "false") + ", mom_min=" + format_number(options_.mom_min) +
         ", mom_max=" + format_number(options_.mom_max) + ", steps=" + std::to_string(total_steps_) + ")";
}

}  // namespace curvtrack::schedules
