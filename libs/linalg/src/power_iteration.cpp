#include "curvtrack/linalg/power_iteration.hpp"

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

#include "curvtrack/linalg/random_vectors.hpp"

namespace curvtrack::linalg::detail {

PowerResult power_iteration(const OperatorRef& op, int top_n, double tol, int max_iter, std::uint64_t seed) {
  const Eigen::Index n = op.rows();
  if (top_n < 1 || top_n > n) {
    throw std::invalid_argument("power_iteration: top_n = " + std::to_string(top_n) + " must satisfy 1 <= top_n <= n = " +
                                std::to_string(n));
  }
  if (max_iter < 1) throw std::invalid_argument("power_iteration: max_iter must be >= 1");
  std::mt19937_64 rng(seed);
  PowerResult result;
  result.values.resize(top_n);
  result.vectors.resize(n, top_n);
  Eigen::VectorXd av(n);
  for (int e = 0; e < top_n; ++e) {
    const auto found = result.vectors.leftCols(e);
    Eigen::VectorXd v = gaussian(n, rng);
    double lambda = 0;
    bool have_lambda = false;
    int iter = 0;
    while (iter < max_iter) {
      // Deflation: stay orthogonal to the eigenvectors already found.
      v -= found * (found.transpose() * v);
      v.normalize();
      op.perform_op(v.data(), av.data());
      ++iter;
      const double estimate = v.dot(av);
      v = av.normalized();
      // The baseline keeps the previous estimate when it stops, as PyHessian does.
      if (have_lambda && std::abs(lambda - estimate) / (std::abs(lambda) + 1e-6) < tol) break;
      lambda = estimate;
      have_lambda = true;
    }
    result.values[e] = lambda;
    result.vectors.col(e) = v;
    result.iterations.push_back(iter);
  }
  result.products = op.products();
  return result;
}

}  // namespace curvtrack::linalg::detail
