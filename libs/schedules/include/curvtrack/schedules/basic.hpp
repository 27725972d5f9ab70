#pragma once
// The non-cyclic policies: constant, step decay and cosine decay (docs/methods.md section 1.1).

#include <cstdint>
#include <string>

#include "curvtrack/schedules/schedule.hpp"

namespace curvtrack::schedules {

/// Settings of the constant policy; check() throws core::UsageError naming the schedule.* key.
struct ConstantOptions {
  double lr = 0.0;          ///< learning rate, > 0
  double momentum = 0.9;    ///< fixed momentum, in [0, 1)
  void check(std::int64_t total_steps) const;
};

/// lr(t) = lr, momentum fixed.
class ConstantSchedule : public Schedule {
 public:
  /// Throws core::UsageError on invalid options or total_steps <= 0.
  ConstantSchedule(const ConstantOptions& options, std::int64_t total_steps);
  ScheduleValue at(std::int64_t step) const override;
  std::int64_t total_steps() const override { return total_steps_; }
  std::string describe() const override;

 private:
  ConstantOptions options_;
  std::int64_t total_steps_;
};

/// Settings of the step-decay policy.
struct StepOptions {
  double lr = 0.0;             ///< initial learning rate, > 0
  std::int64_t step_size = 0;  ///< updates between decays, >= 1
  double gamma = 0.1;          ///< factor per decay, > 0 (PyTorch StepLR's default)
  double momentum = 0.9;       ///< fixed momentum, in [0, 1)
  void check(std::int64_t total_steps) const;
};

/// lr(t) = lr * gamma^floor(t / step_size) (PyTorch StepLR's closed form), momentum fixed.
class StepSchedule : public Schedule {
 public:
  /// Throws core::UsageError on invalid options or total_steps <= 0.
  StepSchedule(const StepOptions& options, std::int64_t total_steps);
  ScheduleValue at(std::int64_t step) const override;
  std::int64_t total_steps() const override { return total_steps_; }
  std::string describe() const override;

 private:
  StepOptions options_;
  std::int64_t total_steps_;
};

/// Settings of the cosine-decay policy.
struct CosineOptions {
  double lr = 0.0;        ///< rate at step 0, > 0
  double lr_min = 0.0;    ///< rate at the last step, in [0, lr]
  double momentum = 0.9;  ///< fixed momentum, in [0, 1)
  void check(std::int64_t total_steps) const;
};

/// lr(t) = lr_min + (lr - lr_min) * (1 + cos(pi t / (N-1))) / 2: reaches lr_min exactly at the
/// last update t = N-1 (unlike PyTorch's CosineAnnealingLR with T_max = N); N = 1 gives lr.
class CosineSchedule : public Schedule {
 public:
  /// Throws core::UsageError on invalid options or total_steps <= 0.
  CosineSchedule(const CosineOptions& options, std::int64_t total_steps);
  ScheduleValue at(std::int64_t step) const override;
  std::int64_t total_steps() const override { return total_steps_; }
  std::string describe() const override;

 private:
  CosineOptions options_;
  std::int64_t total_steps_;
};

}  // namespace curvtrack::schedules
