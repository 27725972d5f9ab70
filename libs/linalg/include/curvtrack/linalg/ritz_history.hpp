#pragma once
// The last two accepted top Ritz vectors of a tracked eigenpair, with the training steps they were
// measured at, and the start vector they predict for the next measurement: the newest vector moved
// on along the line through both (docs/methods.md, "Certified tracking"). When consecutive
// measurements see the same operator drifting slowly (full-batch training), the eigenvector turns
// smoothly and the prediction's error is second order in the drift; the certificate still decides.

#include <Eigen/Core>
#include <cstdint>
#include <vector>

namespace curvtrack::linalg {

class RitzHistory {
 public:
  /// Extrapolate at most this many times the last interval (uneven probe points: 10, 100, 1000).
  static constexpr double kMaxReach = 1.0;
  /// Below this |cos| between the two vectors they are not one eigenvector turning (a crossing):
  /// the newest vector is the start.
  static constexpr double kMinAlignment = 0.5;

  /// Keeps `vector` (normalised, its sign turned to agree with the previous one) as the newest,
  /// measured at `step`. A vector of another length than the kept ones starts a new history.
  /// Throws std::invalid_argument for a zero or non-finite vector.
  void remember(std::int64_t step, const Eigen::VectorXd& vector);

  bool empty() const { return vectors_.empty(); }
  /// Length of the kept vectors (0 when empty).
  Eigen::Index dimension() const { return vectors_.empty() ? 0 : vectors_.back().size(); }
  const Eigen::VectorXd& newest() const { return vectors_.back(); }

  /// Unit start for a measurement at `step`: with two aligned vectors a (newest, step s_a) and
  /// b (s_b < s_a), a + f (a - b), f = min((step - s_a) / (s_a - s_b), kMaxReach), normalised;
  /// otherwise the newest vector. Requires !empty().
  Eigen::VectorXd start_for(std::int64_t step) const;
  /// Whether start_for(step) extrapolates (two aligned vectors at increasing steps, step > s_a).
  bool extrapolates_to(std::int64_t step) const;

  /// Kept steps and vectors, oldest first (for checkpoints), and their inverse.
  const std::vector<std::int64_t>& steps() const { return steps_; }
  const std::vector<Eigen::VectorXd>& vectors() const { return vectors_; }
  void restore(const std::vector<std::int64_t>& steps, const std::vector<Eigen::VectorXd>& vectors);
  void clear();

 private:
  std::vector<std::int64_t> steps_;
  std::vector<Eigen::VectorXd> vectors_;
};

}  // namespace curvtrack::linalg
