#include "curvtrack/curvature/subspace.hpp"

#include <algorithm>
#include <cmath>

namespace curvtrack::curvature {

double gradient_fraction(const Eigen::MatrixXd& vectors, const Eigen::VectorXd& gradient) {
  const double norm_squared = gradient.squaredNorm();
  if (norm_squared == 0.0) return NAN;
  return (vectors.transpose() * gradient).squaredNorm() / norm_squared;
}

double subspace_overlap(const Eigen::MatrixXd& vectors, const std::vector<Eigen::VectorXd>& previous) {
  const Eigen::Index k = std::min<Eigen::Index>(vectors.cols(), static_cast<Eigen::Index>(previous.size()));
  if (k == 0) return NAN;
  Eigen::MatrixXd other(vectors.rows(), k);
  for (Eigen::Index j = 0; j < k; ++j) other.col(j) = previous[static_cast<std::size_t>(j)];
  return (vectors.leftCols(k).transpose() * other).squaredNorm() / static_cast<double>(k);
}

runs::SubspaceRecord subspace_record(const Eigen::MatrixXd& vectors, const Eigen::VectorXd& gradient,
                                     const std::vector<Eigen::VectorXd>& previous) {
  runs::SubspaceRecord record;
  record.k = static_cast<int>(vectors.cols());
  record.gradient_fraction = gradient_fraction(vectors, gradient);
  if (!previous.empty() && previous.front().size() == vectors.rows()) {
    record.previous_overlap = subspace_overlap(vectors, previous);
  }
  return record;
}

}  // namespace curvtrack::curvature
