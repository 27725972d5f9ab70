#include "curvtrack/curvature/probe_points.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"

namespace curvtrack::curvature {
namespace {

constexpr const char* kForms = "a fraction in [0,1], peak, end, every:K or log:N";

}  // namespace

std::int64_t peak_step(const schedules::Schedule& schedule) {
  std::int64_t best = 0;
  double best_lr = schedule.at(0).lr;
  for (std::int64_t step = 1; step < schedule.total_steps(); ++step) {
    double lr = schedule.at(step).lr;
    if (lr > best_lr) {
      best_lr = lr;
      best = step;
    }
  }
  return best;
}

std::vector<ProbePoint> probe_points(const std::string& spec, const schedules::Schedule& schedule) {
  const std::int64_t total = schedule.total_steps();
  std::map<std::int64_t, std::string> points;
  // Named points win over fractions and grids that land on the same step.
  auto add = [&](std::int64_t step, const std::string& label) { points.emplace(step, label); };
  auto name = [&](std::int64_t step, const std::string& label) { points[step] = label; };
  for (const std::string& raw : core::split(spec, ',')) {
    std::string item = core::trim(raw);
    if (item.empty()) continue;
    const std::string what = "curvature.at item '" + item + "' (" + kForms + ")";
    if (item == "peak") {
      name(peak_step(schedule), "peak");
    } else if (item == "end") {
      name(total, "end");
    } else if (item.rfind("every:", 0) == 0) {
      std::int64_t every = core::parse_int(item.substr(6), what);
      if (every <= 0) throw core::UsageError(what + ": K must be >= 1");
      for (std::int64_t step = 0; step <= total; step += every) add(step, "every");
    } else if (item.rfind("log:", 0) == 0) {
      std::int64_t count = core::parse_int(item.substr(4), what);
      if (count < 2) throw core::UsageError(what + ": N must be >= 2");
      add(0, "log");
      for (std::int64_t i = 0; i < count; ++i) {
        double exponent = static_cast<double>(i) / static_cast<double>(count - 1);
        add(std::llround(std::pow(static_cast<double>(total), exponent)), "log");
      }
    } else {
      double fraction = core::parse_double(item, what);
      if (fraction < 0 || fraction > 1) throw core::UsageError(what + ": a fraction must be in [0, 1]");
      add(std::llround(fraction * static_cast<double>(total)), "fraction " + item);
    }
  }
  if (points.empty()) throw core::UsageError("curvature.at is empty; give " + std::string(kForms));
  std::vector<ProbePoint> out;
  for (const auto& [step, label] : points) out.push_back({step, label});
  return out;
}

}  // namespace curvtrack::curvature
