#pragma once
// The three 1cycle variants (docs/methods.md): Smith's (section 1.2), PyTorch's (1.3) and fastai's (1.4).

#include <cstdint>
#include <string>
#include <vector>

#include "curvtrack/schedules/schedule.hpp"

namespace curvtrack::schedules {

/// Smith's 1cycle; check() throws core::UsageError naming the schedule.* key and value.
struct SmithOneCycleOptions {
  double lr_max = 0.0;        ///< peak learning rate, > 0
  double div = 10.0;          ///< lower bound is lr_max/div, > 0
  double cycle_frac = 0.9;    ///< fraction of the steps taken by the cycle, in (0, 1)
  double annihilate = 100.0;  ///< final rate is lr_max/(div*annihilate), >= 1
  double mom_min = 0.85;      ///< momentum at the peak rate, in [0, 1)
  double mom_max = 0.95;      ///< momentum at the ends and in annihilation, in [mom_min, 1)
  void check(std::int64_t total_steps) const;
};

/// Piecewise linear, breakpoints h = cycle_frac*N/2, c = cycle_frac*N, N-1 (real-valued):
/// lr rises lr_max/div -> lr_max on [0,h], falls back on [h,c], falls to lr_max/(div*annihilate)
/// on [c,N-1]; momentum mirrors it (mom_max -> mom_min -> mom_max, then held). Requires c < N-1.
class SmithOneCycle : public Schedule {
 public:
  /// Throws core::UsageError on invalid options or when there is no annihilation phase.
  SmithOneCycle(const SmithOneCycleOptions& options, std::int64_t total_steps);
  ScheduleValue at(std::int64_t step) const override;
  std::int64_t total_steps() const override { return total_steps_; }
  std::string describe() const override;

 private:
  SmithOneCycleOptions options_;
  std::int64_t total_steps_;
};

/// How PyTorch interpolates within a phase.
enum class Anneal { kCos, kLinear };

/// PyTorch OneCycleLR's settings under curvtrack's names (div = div_factor, final_div =
/// final_div_factor, mom_min = base_momentum, mom_max = max_momentum).
struct TorchOneCycleOptions {
  double lr_max = 0.0;        ///< max_lr, > 0
  double div = 25.0;          ///< initial lr = lr_max/div, > 0
  double final_div = 1e4;     ///< minimum lr = initial/final_div, > 0
  double pct_start = 0.3;     ///< fraction of steps spent rising, in (0, 1)
  Anneal anneal = Anneal::kCos;
  bool three_phase = false;   ///< initial->max->initial->min instead of initial->max->min
  double mom_min = 0.85;      ///< base_momentum, in [0, 1)
  double mom_max = 0.95;      ///< max_momentum, in [mom_min, 1)
  void check(std::int64_t total_steps) const;
};

/// torch.optim.lr_scheduler.OneCycleLR (PyTorch 1.13) as seen by update t in the loop
/// `optimizer.step(); scheduler.step()`, same formulas in the same floating-point order.
class TorchOneCycle : public Schedule {
 public:
  /// Throws core::UsageError on invalid options, and where PyTorch would divide by zero.
  TorchOneCycle(const TorchOneCycleOptions& options, std::int64_t total_steps);
  ScheduleValue at(std::int64_t step) const override;
  std::int64_t total_steps() const override { return total_steps_; }
  std::string describe() const override;

 private:
  struct Phase {
    double end_step;
    double start_lr, end_lr, start_momentum, end_momentum;
  };
  TorchOneCycleOptions options_;
  std::int64_t total_steps_;
  std::vector<Phase> phases_;
};

/// fastai's fit_one_cycle settings.
struct FastaiOneCycleOptions {
  double lr_max = 0.0;     ///< peak learning rate, > 0
  double div = 25.0;       ///< start lr = lr_max/div, > 0
  double final_div = 1e5;  ///< final lr = lr_max/final_div (fastai's div_final), > 0
  double pct_start = 0.25; ///< fraction of the steps spent rising, in (0, 1)
  double mom_min = 0.85;   ///< momentum at the peak, in [0, 1)
  double mom_max = 0.95;   ///< momentum at both ends, in [mom_min, 1)
  void check(std::int64_t total_steps) const;
};

/// fastai's combined cosine: pos = t/N; rising phase for pos < pct_start, p = pos/pct_start,
/// else p = (pos-pct_start)/(1-pct_start); cos(a->b, p) = a + (1+cos(pi(1-p)))(b-a)/2.
class FastaiOneCycle : public Schedule {
 public:
  /// Throws core::UsageError on invalid options.
  FastaiOneCycle(const FastaiOneCycleOptions& options, std::int64_t total_steps);
  ScheduleValue at(std::int64_t step) const override;
  std::int64_t total_steps() const override { return total_steps_; }
  std::string describe() const override;

 private:
  FastaiOneCycleOptions options_;
  std::int64_t total_steps_;
};

}  // namespace curvtrack::schedules
