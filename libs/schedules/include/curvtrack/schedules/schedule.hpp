#pragma once
// Learning-rate policies as pure functions of the optimizer step (docs/methods.md section 1).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "curvtrack/core/options.hpp"

namespace curvtrack::schedules {

/// What the t-th optimizer update uses: learning rate (same units as the configured rates)
/// and momentum (SGD momentum or Adam's beta1, dimensionless). Every policy here sets momentum:
/// onecycle cycles it, constant/step/cosine report their fixed `momentum` key.
struct ScheduleValue {
  double lr;
  std::optional<double> momentum;
};

/// A learning-rate policy: a pure function of the 0-based optimizer step, no hidden state.
class Schedule {
 public:
  virtual ~Schedule() = default;
  /// Value used by the `step`-th update; throws std::invalid_argument unless 0 <= step < total_steps().
  virtual ScheduleValue at(std::int64_t step) const = 0;
  /// Number of optimizer updates the schedule covers (steps 0..total_steps()-1).
  virtual std::int64_t total_steps() const = 0;
  /// One line naming the policy and every parameter, e.g. "onecycle(variant=torch, lr_max=0.5, ...)".
  virtual std::string describe() const = 0;
};

/// The [schedule] section's keys as given (bare key -> text value).
using ScheduleKeys = std::map<std::string, std::string>;

/// Builds the policy described by `keys` for `total_steps` updates. Throws core::UsageError
/// naming the key, the value and what is accepted; an unknown key names the nearest valid one;
/// a key the chosen policy/variant does not use is rejected (it is usually a typo).
std::unique_ptr<Schedule> make_schedule(const ScheduleKeys& keys, std::int64_t total_steps);

/// Every valid [schedule] key (bare names), for config validation.
std::vector<std::string> schedule_keys();

/// Binds every [schedule] key to an entry of `keys`, absent while the key is not given: each
/// policy applies its own defaults, so the section has none of its own.
void bind_schedule_keys(core::OptionBindings& bindings, ScheduleKeys& keys);

}  // namespace curvtrack::schedules
