#include "curvtrack/linalg/trace.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

#include "curvtrack/linalg/lanczos.hpp"
#include "curvtrack/linalg/random_vectors.hpp"
#include "projection.hpp"

namespace curvtrack::linalg::detail {
namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// Standard error of the mean of the samples; NaN with fewer than 2.
double standard_error(const VectorXd& samples) {
  const Index s = samples.size();
  if (s < 2) return std::numeric_limits<double>::quiet_NaN();
  return std::sqrt((samples.array() - samples.mean()).square().sum() / static_cast<double>(s - 1) /
                   static_cast<double>(s));
}

// Mean and standard error of the mean.
void summarise(const VectorXd& samples, double offset, TraceEstimate& out) {
  out.value = offset + samples.mean();
  out.samples = static_cast<int>(samples.size());
  out.standard_error = standard_error(samples);
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

// Hutchinson samples: the whole trace's values and, per block, each sample's block parts
// (rows: samples; columns: blocks).
struct Samples {
  VectorXd values;
  MatrixXd block_values;
  bool target_reached = false;
};

// At most `most` samples x^T A x of probes drawn by `draw`, fewer when the whole trace's
// standard error meets `target`. draw(raw) returns the probe x to multiply and sets `raw` to
// the vector whose block parts pair with `project(A x)` for the block samples.
template <class Draw, class Project>
Samples sample_until(const OperatorRef& op, int most, double offset, const CoordinateBlocks& blocks,
                     const TraceTarget& target, Draw draw, Project project) {
  Samples out;
  out.values.resize(most);
  out.block_values.resize(most, blocks.count);
  VectorXd ax(op.rows()), raw;
  int taken = most;
  for (int i = 0; i < most; ++i) {
    const VectorXd x = draw(raw);
    op.perform_op(x.data(), ax.data());
    out.values[i] = x.dot(ax);
    if (blocks.count > 0) out.block_values.row(i) = block_dots(blocks, raw, project(ax)).transpose();
    if (standard_error_reached(out.values.head(i + 1), offset, target)) {
      out.target_reached = true;
      taken = i + 1;
      break;
    }
  }
  out.values.conservativeResize(taken);
  out.block_values.conservativeResize(taken, blocks.count);
  return out;
}

// The whole estimate and each block's, from the samples and the exact parts.
BlockTraceEstimates summarise_all(const Samples& samples, double offset, const VectorXd& block_offsets,
                                  std::int64_t products, const std::string& method, const TraceTarget& target) {
  BlockTraceEstimates out;
  summarise(samples.values, offset, out.whole);
  out.whole.products = products;
  out.whole.method = method;
  out.whole.target_relative_se = target.relative_se;
  out.whole.target_reached = samples.target_reached;
  for (Index b = 0; b < samples.block_values.cols(); ++b) {
    TraceEstimate block;
    summarise(samples.block_values.col(b), block_offsets[b], block);
    block.method = method;
    out.blocks.push_back(block);
  }
  return out;
}

// tr(A) = tr(Q^T A Q) + tr((I - QQ^T) A (I - QQ^T)) for an orthonormal Q independent of the
// probes: the first part exactly, from the products AQ = A Q; the second by `samples` Rademacher
// probes projected off Q (only this remainder carries variance). Shared by Hutch++ (Q from a
// sketch) and the Krylov-deflated estimator (Q a Lanczos basis whose products are already known).
BlockTraceEstimates deflated(const OperatorRef& op, const Eigen::Ref<const MatrixXd>& q,
                             const Eigen::Ref<const MatrixXd>& aq, int samples, std::mt19937_64& rng,
                             const CoordinateBlocks& blocks, const TraceTarget& target, const std::string& method) {
  const Index n = op.rows();
  double head = 0;
  VectorXd block_head = VectorXd::Zero(blocks.count);
  for (Index j = 0; j < q.cols(); ++j) {
    head += q.col(j).dot(aq.col(j));
    // A block's share of tr(Q^T A Q) and of the cross term tr(D_b (I - QQ^T) A QQ^T): the
    // block traces then sum to the whole estimate.
    if (blocks.count > 0) {
      block_head += block_dots(blocks, q.col(j), 2 * aq.col(j) - q * (q.transpose() * aq.col(j)));
    }
  }
  const Samples values = sample_until(
      op, samples, head, blocks, target,
      [&](VectorXd& raw) {
        raw = rademacher(n, rng);
        VectorXd g = raw;
        subtract_projection(q, g);
        return g;
      },
      [&](const VectorXd& ag) -> VectorXd {
        VectorXd out = ag;
        subtract_projection(q, out);
        return out;
      });
  return summarise_all(values, head, block_head, op.products(), method, target);
}

}  // namespace

bool standard_error_reached(const VectorXd& samples, double offset, const TraceTarget& target) {
  if (!(target.relative_se > 0) || samples.size() < std::max(target.min_samples, 2)) return false;
  return standard_error(samples) <= target.relative_se * std::abs(offset + samples.mean());
}

BlockTraceEstimates hutchinson(const OperatorRef& op, int samples, std::uint64_t seed, const CoordinateBlocks& blocks,
                               const TraceTarget& target) {
  if (samples < 1) throw std::invalid_argument("hutchinson: samples = " + std::to_string(samples) + " must be >= 1");
  const Index n = op.rows();
  check_blocks(blocks, n);
  std::mt19937_64 rng(seed);
  const Samples values = sample_until(
      op, samples, 0.0, blocks, target,
      [&](VectorXd& raw) {
        raw = rademacher(n, rng);
        return raw;
      },
      [](const VectorXd& az) -> const VectorXd& { return az; });
  return summarise_all(values, 0.0, VectorXd::Zero(blocks.count), op.products(), "hutchinson", target);
}

BlockTraceEstimates hutchpp(const OperatorRef& op, int products_budget, std::uint64_t seed,
                            const CoordinateBlocks& blocks, const TraceTarget& target) {
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
  // Gram-Schmidt through BLAS (projection.hpp): for 33 columns of 55,050 parameters a Householder
  // QR in Eigen's kernels (with forming Q) took 112-123 ms, this 26-47 ms. A column of A S inside
  // the span of the others is dropped (its product for tr(Q^T A Q) is then not spent): any
  // orthonormal Q independent of the probes keeps the estimate unbiased.
  const MatrixXd q = orthonormal_columns(as);
  MatrixXd aq(n, q.cols());
  for (Index j = 0; j < q.cols(); ++j) op.perform_op(q.col(j).data(), aq.col(j).data());
  return deflated(op, q, aq, s, rng, blocks, target, "hutch++");
}

BlockTraceEstimates krylov_deflated(const OperatorRef& op, const KrylovBasis& basis, int samples, std::uint64_t seed,
                                    const CoordinateBlocks& blocks, const TraceTarget& target) {
  if (samples < 1) throw std::invalid_argument("krylov trace: samples = " + std::to_string(samples) + " must be >= 1");
  if (basis.basis().rows() != op.rows()) {
    throw std::invalid_argument("krylov trace: a basis of length " + std::to_string(basis.basis().rows()) +
                                " for an operator of size " + std::to_string(op.rows()));
  }
  check_blocks(blocks, op.rows());
  std::mt19937_64 rng(seed);
  return deflated(op, basis.basis(), basis.products(), samples, rng, blocks, target,
                  "krylov-deflated hutchinson (exact on a Lanczos basis of " + std::to_string(basis.steps()) +
                      " vectors from the top-k solve)");
}

}  // namespace curvtrack::linalg::detail
