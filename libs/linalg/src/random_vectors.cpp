#include "curvtrack/linalg/random_vectors.hpp"

namespace curvtrack::linalg {

Eigen::VectorXd rademacher(Eigen::Index n, std::mt19937_64& rng) {
  // One bit per entry from the engine: reproducible across standard libraries, unlike
  // std::bernoulli_distribution whose algorithm is implementation-defined.
  Eigen::VectorXd v(n);
  std::uint64_t bits = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    if (i % 64 == 0) bits = rng();
    v[i] = (bits & 1U) ? 1.0 : -1.0;
    bits >>= 1U;
  }
  return v;
}

Eigen::VectorXd gaussian(Eigen::Index n, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = normal(rng);
  return v;
}

}  // namespace curvtrack::linalg
