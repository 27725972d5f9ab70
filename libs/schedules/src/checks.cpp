#include "checks.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "curvtrack/core/errors.hpp"

namespace curvtrack::schedules::detail {

std::string format_number(double value) {
  char text[32];
  // Whole numbers read better in full (10, 1000) than as %g gives them (1e+01, 1e+03).
  if (value == std::nearbyint(value) && std::fabs(value) < 1e15) {
    std::snprintf(text, sizeof(text), "%.0f", value);
    return text;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof(text), "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

void check_step(std::int64_t step, std::int64_t total_steps) {
  if (step < 0 || step >= total_steps) {
    throw std::invalid_argument("schedule step " + std::to_string(step) + " is outside 0.." +
                                std::to_string(total_steps - 1) + " (" + std::to_string(total_steps) +
                                " optimizer steps)");
  }
}

void check_total_steps(std::int64_t total_steps) {
  if (total_steps <= 0) {
    throw core::UsageError("schedule: the number of optimizer steps must be >= 1, got " +
                           std::to_string(total_steps));
  }
}

std::string key_value(const std::string& key, double value) {
  return "schedule." + key + "=" + format_number(value);
}

void check_positive(const std::string& key, double value) {
  if (!(value > 0.0)) throw core::UsageError(key_value(key, value) + " must be > 0");
}

void check_fraction(const std::string& key, double value) {
  if (!(value > 0.0 && value < 1.0)) {
    throw core::UsageError(key_value(key, value) + " must be strictly between 0 and 1");
  }
}

void check_momentum(const std::string& key, double value) {
  if (!(value >= 0.0 && value < 1.0)) throw core::UsageError(key_value(key, value) + " must be in [0, 1)");
}

void check_momentum_range(double mom_min, double mom_max) {
  check_momentum("mom_min", mom_min);
  check_momentum("mom_max", mom_max);
  if (mom_min > mom_max) {
    throw core::UsageError(key_value("mom_min", mom_min) + " exceeds " + key_value("mom_max", mom_max) +
                           "; mom_min must be <= mom_max");
  }
}

}  // namespace curvtrack::schedules::detail
