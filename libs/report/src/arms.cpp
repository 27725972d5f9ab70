#include "arms.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace curvtrack::report {

std::vector<std::string> ranked_arms(std::vector<std::string> arms, const std::vector<std::string>& preferred) {
  std::sort(arms.begin(), arms.end());
  arms.erase(std::unique(arms.begin(), arms.end()), arms.end());
  auto rank = [&](const std::string& arm) { return std::find(preferred.begin(), preferred.end(), arm) - preferred.begin(); };
  std::stable_sort(arms.begin(), arms.end(), [&](const std::string& x, const std::string& y) { return rank(x) < rank(y); });
  return arms;
}

std::vector<std::string> arms_of(const std::vector<LoadedRun>& runs, const std::vector<std::string>& preferred) {
  std::vector<std::string> arms;
  for (const auto& run : runs) arms.push_back(run.arm);
  return ranked_arms(std::move(arms), preferred);
}

std::vector<const LoadedRun*> sorted_runs(const std::vector<LoadedRun>& runs, const std::vector<std::string>& arms) {
  std::vector<const LoadedRun*> out;
  for (const auto& run : runs) out.push_back(&run);
  auto arm_index = [&](const std::string& arm) { return std::find(arms.begin(), arms.end(), arm) - arms.begin(); };
  std::sort(out.begin(), out.end(), [&](const LoadedRun* x, const LoadedRun* y) {
    return arm_index(x->arm) != arm_index(y->arm) ? arm_index(x->arm) < arm_index(y->arm) : x->seed < y->seed;
  });
  return out;
}

double last_metric(const LoadedRun& run, const char* column) {
  for (auto row = run.metrics.rbegin(); row != run.metrics.rend(); ++row) {
    auto cell = row->find(column);
    if (cell != row->end() && std::isfinite(cell->second)) return cell->second;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace curvtrack::report
