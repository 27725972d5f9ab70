#pragma once
// Internal: value checks and number formatting shared by the policies.

#include <cstdint>
#include <string>

namespace curvtrack::schedules::detail {

/// Shortest decimal text that reads back as the same double (for messages and describe()).
std::string format_number(double value);

/// Throws std::invalid_argument unless 0 <= step < total_steps.
void check_step(std::int64_t step, std::int64_t total_steps);

/// Throws core::UsageError unless total_steps >= 1.
void check_total_steps(std::int64_t total_steps);

/// Throws core::UsageError "schedule.<key>=<value> must be > 0".
void check_positive(const std::string& key, double value);

/// Throws core::UsageError unless value is in the open interval (0, 1).
void check_fraction(const std::string& key, double value);

/// Throws core::UsageError unless value is in [0, 1).
void check_momentum(const std::string& key, double value);

/// Throws core::UsageError unless 0 <= mom_min <= mom_max < 1.
void check_momentum_range(double mom_min, double mom_max);

/// The schedule.<key>=<value> prefix of a message.
std::string key_value(const std::string& key, double value);

}  // namespace curvtrack::schedules::detail
