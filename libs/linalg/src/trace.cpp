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

void check_blocks(const CoordinateBlocks& blocks, Index n) {
  if (blocks.count == 0) return;
  if (static_cast<Index>(blocks.block.size()) != n) {
    throw std::invalid_argument("block traces: " + std::to_string(blocks.block.size()) + " block labels for " +
                                std::to_string(n) + " coordinates");
  }
  for (int label : blocks.block) {
    if (label < -1 || label >= blocks.count) {
      throw std::invalid_argument("block traces: label " + std::to_string(label) + " outside [-1, " +
                                  std::to_string(blocks.count) + ")");
    }
  }
}

// Per-block sums of a_i * b_i.
VectorXd block_dots(const CoordinateBlocks& blocks, const VectorXd& a, const VectorXd& b) {
  VectorXd out = VectorXd::Zero(blocks.count);
  for (Index i = 0; i < a.size(); ++i) {
    const int label = blocks.block[static_cast<std::size_t>(i)];
    if (label >= 0) out[label] += a[i] * b[i];
  }
  return out;
}

// The whole estimate and each block's, from the per-sample values (rows: samples; columns:
// blocks) and the exact parts.
BlockTraceEstimates summarise_all(const VectorXd& samples, double offset, const MatrixXd& block_samples,
                                  const VectorXd& block_offsets, std::int64_t products, const std::string& method) {
  BlockTraceEstimates out;
  summarise(samples, offset, out.whole);
  out.whole.products = products;
  out.whole.method = method;
  for (Index b = 0; b < block_samples.cols(); ++b) {
    TraceEstimate block;
    summarise(block_samples.col(b), block_offsets[b], block);
    block.method = method;
    out.blocks.push_back(block);
  }
  return out;
}

}  // namespace

BlockTraceEstimates hutchinson(const OperatorRef& op, int samples, std::uint64_t seed, const CoordinateBlocks& blocks) {
  if (samples < 1) throw std::invalid_argument("hutchinson: samples = " + std::to_string(samples) + " must be >= 1");
  const Index n = op.rows();
  check_blocks(blocks, n);
  std::mt19937_64 rng(seed);
  VectorXd values(samples), az(n);
  MatrixXd block_values(samples, blocks.count);
  for (int i = 0; i < samples; ++i) {
    const VectorXd z = rademacher(n, rng);
    op.perform_op(z.data(), az.data());
    values[i] = z.dot(az);
    if (blocks.count > 0) block_values.row(i) = block_dots(blocks, z, az).transpose();
  }
  return summarise_all(values, 0.0, block_values, VectorXd::Zero(blocks.count), op.products(), "hutchinson");
}

BlockTraceEstimates hutchpp(const OperatorRef& op, int products_budget, std::uint64_t seed,
                            const CoordinateBlocks& blocks) {
  if (products_budget < 3) {
    throw std::invalid_argument("hutchpp: products_budget = " + std::to_string(products_budget) + " must be >= 3");
  }
  const Index n = op.rows();
  check_blocks(blocks, n);
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
  VectorXd block_head = VectorXd::Zero(blocks.count);
  VectorXd aq(n);
  for (int j = 0; j < k; ++j) {
    op.perform_op(q.col(j).data(), aq.data());
    head += q.col(j).dot(aq);
    // A block's share of tr(Q^T A Q) and of the cross term tr(D_b (I - QQ^T) A QQ^T): the
    // block traces then sum to the whole estimate.
    if (blocks.count > 0) block_head += block_dots(blocks, q.col(j), 2 * aq - q * (q.transpose() * aq));
  }

  // Hutchinson on (I - QQ^T) A (I - QQ^T): only the deflated remainder carries variance.
  VectorXd values(s), ag(n);
  MatrixXd block_values(s, blocks.count);
  for (int i = 0; i < s; ++i) {
    const VectorXd raw = rademacher(n, rng);
    const VectorXd g = raw - q * (q.transpose() * raw);
    op.perform_op(g.data(), ag.data());
    values[i] = g.dot(ag);
    if (blocks.count > 0) block_values.row(i) = block_dots(blocks, raw, ag - q * (q.transpose() * ag)).transpose();
  }
  return summarise_all(values, head, block_values, block_head, op.products(), "hutch++");
}

}  // namespace curvtrack::linalg::detail
