#include "curvtrack/linalg/trace.hpp"

#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

#include "curvtrack/linalg/random_vectors.hpp"

namespace curvtrack::linalg::detail {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// Mean and standard error of the mean.
void summarise(const VectorXd& samples, double offset, TraceEstimate& out) {
  const Index s = samples.size();
  const double mean = samples.mean();
  out.value = offset + mean;
  out.samples = static_cast<int>(s);
  out.standard_error = s > 1 ? std::sqrt((samples.array() - mean).square().sum() / (s - 1) / s)
                             : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

TraceEstimate hutchinson(const OperatorRef& op, int samples, std::uint64_t seed) {
  if (samples < 1) throw std::invalid_argument("hutchinson: samples = " + std::to_string(samples) + " must be >= 1");
  const Index n = op.rows();
  std::mt19937_64 rng(seed);
  VectorXd values(samples), az(n);
  for (int i = 0; i < samples; ++i) {
    const VectorXd z = rademacher(n, rng);
    op.perform_op(z.data(), az.data());
    values[i] = z.dot(az);
  }
  TraceEstimate out;
  summarise(values, 0.0, out);
  out.products = op.products();
  out.method = "hutchinson";
  return out;
}

TraceEstimate hutchpp(const OperatorRef& op, int products_budget, std::uint64_t seed) {
  if (products_budget < 3) {
    throw std::invalid_argument("hutchpp: products_budget = " + std::to_string(products_budget) + " must be >= 3");
  }
  const Index n = op.rows();
  const int k = static_cast<int>(std::min<Index>(products_budget / 3, n));
  const int s = products_budget - 2 * k;
  std::mt19937_64 rng(seed);

  // Q spans A S: the top of the spectrum, whose trace is then taken exactly as tr(Q^T A Q).
  MatrixXd as(n, k);
  for (int j = 0; j < k; ++j) {
    const VectorXd sj = rademacher(n, rng);
    op.perform_op(sj.data(), as.col(j).data());
  }
  const MatrixXd q = Eigen::HouseholderQR<MatrixXd>(as).householderQ() * MatrixXd::Identity(n, k);
  double head = 0;
  VectorXd aq(n);
  for (int j = 0; j < k; ++j) {
    op.perform_op(q.col(j).data(), aq.data());
    head += q.col(j).dot(aq);
  }

  // Hutchinson on (I - QQ^T) A (I - QQ^T): only the deflated remainder carries variance.
  VectorXd values(s), ag(n);
  for (int i = 0; i < s; ++i) {
    VectorXd g = rademacher(n, rng);
    g -= q * (q.transpose() * g);
    op.perform_op(g.data(), ag.data());
    values[i] = g.dot(ag);
  }
  TraceEstimate out;
  summarise(values, head, out);
  out.products = op.products();
  out.method = "hutch++";
  return out;
}

}  // namespace curvtrack::linalg::detail
