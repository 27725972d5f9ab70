#pragma once
// Measures of the top-k eigenvectors (docs/methods.md section 3.7): how much of the gradient
// lies in their span, and how much of that span the previous probe's eigenvectors share.
// Free of torch.

#include <Eigen/Core>
#include <vector>

#include "curvtrack/runs/curvature_record.hpp"

namespace curvtrack::curvature {

/// ||U^T g||^2 / ||g||^2 for orthonormal columns U (NaN for a zero gradient).
double gradient_fraction(const Eigen::MatrixXd& vectors, const Eigen::VectorXd& gradient);

/// ||U^T P||_F^2 / k for orthonormal n x k matrices U and P (columns of `previous`): 1 when the
/// spans agree, 0 when they are orthogonal. Uses min(k, previous.size()) columns of each.
double subspace_overlap(const Eigen::MatrixXd& vectors, const std::vector<Eigen::VectorXd>& previous);

/// The record: gradient fraction of the columns of `vectors`, and the overlap with `previous`
/// when it holds vectors of the same length.
runs::SubspaceRecord subspace_record(const Eigen::MatrixXd& vectors, const Eigen::VectorXd& gradient,
                                     const std::vector<Eigen::VectorXd>& previous);

}  // namespace curvtrack::curvature
