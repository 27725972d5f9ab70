#pragma once
// Seeded random probe vectors.

#include <Eigen/Core>
#include <random>

namespace curvtrack::linalg {

/// n independent entries, each +1 or -1 with probability 1/2 (not normalised).
Eigen::VectorXd rademacher(Eigen::Index n, std::mt19937_64& rng);

/// n independent standard normal entries (not normalised).
Eigen::VectorXd gaussian(Eigen::Index n, std::mt19937_64& rng);

}  // namespace curvtrack::linalg
