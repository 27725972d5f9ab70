#include "curvtrack/linalg/ritz_history.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace curvtrack::linalg {

void RitzHistory::remember(std::int64_t step, const Eigen::VectorXd& vector) {
  const double norm = vector.norm();
  if (!(norm > 0) || !std::isfinite(norm)) throw std::invalid_argument("Ritz history: vector is zero or not finite");
  if (!vectors_.empty() && (vectors_.back().size() != vector.size() || step <= steps_.back())) clear();
  Eigen::VectorXd unit = vector / norm;
  if (!vectors_.empty() && unit.dot(vectors_.back()) < 0) unit = -unit;
  if (vectors_.size() == 2) {
    vectors_.erase(vectors_.begin());
    steps_.erase(steps_.begin());
  }
  vectors_.push_back(std::move(unit));
  steps_.push_back(step);
}

bool RitzHistory::extrapolates_to(std::int64_t step) const {
  return vectors_.size() == 2 && step > steps_[1] && std::abs(vectors_[1].dot(vectors_[0])) >= kMinAlignment;
}

Eigen::VectorXd RitzHistory::start_for(std::int64_t step) const {
  if (vectors_.empty()) throw std::logic_error("Ritz history: no vector to start from");
  if (!extrapolates_to(step)) return vectors_.back();
  const double reach = std::min(static_cast<double>(step - steps_[1]) / static_cast<double>(steps_[1] - steps_[0]),
                                kMaxReach);
  Eigen::VectorXd start = vectors_[1] + reach * (vectors_[1] - vectors_[0]);
  return start / start.norm();  // |start| >= 1: a and b are unit vectors with a.b >= 0
}

void RitzHistory::restore(const std::vector<std::int64_t>& steps, const std::vector<Eigen::VectorXd>& vectors) {
  if (steps.size() != vectors.size() || steps.size() > 2) {
    throw std::invalid_argument("Ritz history: " + std::to_string(steps.size()) + " steps for " +
                                std::to_string(vectors.size()) + " vectors (at most 2 of each)");
  }
  clear();
  for (std::size_t i = 0; i < steps.size(); ++i) remember(steps[i], vectors[i]);
}

void RitzHistory::clear() {
  steps_.clear();
  vectors_.clear();
}

}  // namespace curvtrack::linalg
