#include "curvtrack/schedules/basic.hpp"

#include <cmath>

#include "checks.hpp"
#include "curvtrack/core/errors.hpp"

namespace curvtrack::schedules {

using detail::format_number;

namespace {
constexpr double kPi = 3.141592653589793;
}  // namespace

void ConstantOptions::check(std::int64_t total_steps) const {
  detail::check_total_steps(total_steps);
  detail::check_positive("lr", lr);
  detail::check_momentum("momentum", momentum);
}

ConstantSchedule::ConstantSchedule(const ConstantOptions& options, std::int64_t total_steps)
    : options_(options), total_steps_(total_steps) {
  options_.check(total_steps_);
}

ScheduleValue ConstantSchedule::at(std::int64_t step) const {
  detail::check_step(step, total_steps_);
  return {options_.lr, options_.momentum};
}

std::string ConstantSchedule::describe() const {
  return "constant(lr=" + format_number(options_.lr) + ", momentum=" + format_number(options_.momentum) +
         ", steps=" + std::to_string(total_steps_) + ")";
}

void StepOptions::check(std::int64_t total_steps) const {
  detail::check_total_steps(total_steps);
  detail::check_positive("lr", lr);
  if (step_size < 1) {
    throw core::UsageError("schedule.step_size=" + std::to_string(step_size) + " must be an integer >= 1");
  }
  detail::check_positive("gamma", gamma);
  detail::check_momentum("momentum", momentum);
}

StepSchedule::StepSchedule(const StepOptions& options, std::int64_t total_steps)
    : options_(options), total_steps_(total_steps) {
  options_.check(total_steps_);
}

ScheduleValue StepSchedule::at(std::int64_t step) const {
  detail::check_step(step, total_steps_);
  double decays = static_cast<double>(step / options_.step_size);
  return {options_.lr * std::pow(options_.gamma, decays), options_.momentum};
}

std::string StepSchedule::describe() const {
  return "step(lr=" + format_number(options_.lr) + ", step_size=" + std::to_string(options_.step_size) +
         ", gamma=" + format_number(options_.gamma) + ", momentum=" + format_number(options_.momentum) +
         ", steps=" + std::to_string(total_steps_) + ")";
}

void CosineOptions::check(std::int64_t total_steps) const {
  detail::check_total_steps(total_steps);
  detail::check_positive("lr", lr);
  if (!(lr_min >= 0.0 && lr_min <= lr)) {
    throw core::UsageError(detail::key_value("lr_min", lr_min) + " must be in [0, schedule.lr=" +
                           format_number(lr) + "]");
  }
  detail::check_momentum("momentum", momentum);
}

CosineSchedule::CosineSchedule(const CosineOptions& options, std::int64_t total_steps)
    : options_(options), total_steps_(total_steps) {
  options_.check(total_steps_);
}

ScheduleValue CosineSchedule::at(std::int64_t step) const {
  detail::check_step(step, total_steps_);
  // One update only: there is no decay to spread, so it runs at the starting rate.
  if (total_steps_ == 1) return {options_.lr, options_.momentum};
  double position = static_cast<double>(step) / static_cast<double>(total_steps_ - 1);
  double lr = options_.lr_min + (options_.lr - options_.lr_min) * (1.0 + std::cos(kPi * position)) / 2.0;
  return {lr, options_.momentum};
}

std::string CosineSchedule::describe() const {
  return "cosine(lr=" + format_number(options_.lr) + ", lr_min=" + format_number(options_.lr_min) +
         ", momentum=" + format_number(options_.momentum) + ", steps=" + std::to_string(total_steps_) + ")";
}

}  // namespace curvtrack::schedules
