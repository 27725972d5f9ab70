#pragma once
// Randomised trace estimators (Hutchinson 1989; Meyer, Musco, Musco, Woodruff 2021).

#include <Eigen/Core>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "curvtrack/linalg/lanczos.hpp"
#include "curvtrack/linalg/operator_ref.hpp"

namespace curvtrack::linalg {

/// Which randomised trace estimator to run.
enum class TraceMethod { kNone, kHutchinson, kHutchpp, kKrylov };

/// A trace estimate with its standard error.
struct TraceEstimate {
  double value = 0;           ///< estimated trace
  double standard_error = 0;  ///< sd of the Hutchinson samples / sqrt(samples); NaN with < 2 samples
  int samples = 0;            ///< Hutchinson probes behind standard_error
  std::int64_t products = 0;  ///< operator products
  std::string method;         ///< "hutchinson" or "hutch++"
  double target_relative_se = 0;  ///< the TraceTarget's relative_se (0: a fixed count was asked for)
  bool target_reached = false;    ///< the samples stopped at the target, before the count ran out
};

/// Coordinates grouped into blocks, for the traces of diagonal blocks (principal submatrices)
/// estimated from the same products as the whole trace: block[i] is coordinate i's block in
/// [0, count), or -1 for a coordinate in no block. Empty: no block traces.
struct CoordinateBlocks {
  std::vector<int> block;
  int count = 0;
};

/// The whole trace and, when blocks were given, one estimate per block (in block order). The
/// block estimates use the whole estimate's products (their `products` is 0) and sum to it.
struct BlockTraceEstimates {
  TraceEstimate whole;
  std::vector<TraceEstimate> blocks;
};

/// When the Hutchinson samples may stop before their count runs out: once their standard error
/// (sd / sqrt(samples)) is at most relative_se * |estimate|, after at least min_samples. The
/// standard error is checked after every sample. relative_se = 0: never (a fixed count). The
/// rule looks at the whole trace only; block traces use the samples it kept.
struct TraceTarget {
  double relative_se = 0;
  int min_samples = 10;
};

namespace detail {
/// Whether Hutchinson `samples`, whose estimate is offset + their mean, meet `target`.
bool standard_error_reached(const Eigen::VectorXd& samples, double offset, const TraceTarget& target);
BlockTraceEstimates hutchinson(const OperatorRef& op, int samples, std::uint64_t seed, const CoordinateBlocks& blocks,
                               const TraceTarget& target);
BlockTraceEstimates hutchpp(const OperatorRef& op, int products_budget, std::uint64_t seed,
                            const CoordinateBlocks& blocks, const TraceTarget& target);
BlockTraceEstimates krylov_deflated(const OperatorRef& op, const KrylovBasis& basis, int samples, std::uint64_t seed,
                                    const CoordinateBlocks& blocks, const TraceTarget& target);
}  // namespace detail

/// Hutchinson's estimator with `samples` Rademacher probes (one product each), fewer when
/// `target` is met first.
template <class Op>
TraceEstimate hutchinson(const Op& op, int samples, std::uint64_t seed, const TraceTarget& target = {}) {
  return detail::hutchinson(detail::OperatorRef(op), samples, seed, {}, target).whole;
}

/// Hutch++ with `products_budget` >= 3 products: a third sketch the range, a third project on it,
/// the rest run Hutchinson on the deflated remainder (stopping early when `target` is met). A
/// sketch of rank r below its column count spends r products on the projection, not a third.
template <class Op>
TraceEstimate hutchpp(const Op& op, int products_budget, std::uint64_t seed, const TraceTarget& target = {}) {
  return detail::hutchpp(detail::OperatorRef(op), products_budget, seed, {}, target).whole;
}

/// The estimate of `method` with `samples` probes (Hutchinson) or products (Hutch++), fewer
/// when `target` is met first, and the traces of the diagonal blocks of `blocks` from the same
/// products (docs/methods.md section 2.3): for Hutchinson the block parts z_b^T (A z)_b of each
/// sample; for Hutch++ the exact sketch part sum_j (Q_j)_b^T (2 A Q_j - Q Q^T A Q_j)_b plus the
/// block parts of the deflated samples g_b^T ((I - QQ^T) A g~)_b. std::invalid_argument for kNone.
///
/// kKrylov takes tr(Q^T A Q) exactly on `basis` (a Lanczos basis and its products, kept by an
/// eigen-solve: EigenOptions::keep_krylov_basis) and runs `samples` Hutchinson probes on the
/// remainder (I - QQ^T) A (I - QQ^T); it spends only those products. std::invalid_argument without
/// a basis.
template <class Op>
BlockTraceEstimates estimate_block_traces(const Op& op, TraceMethod method, int samples, std::uint64_t seed,
                                          const CoordinateBlocks& blocks, const TraceTarget& target = {},
                                          const KrylovBasis* basis = nullptr) {
  if (method == TraceMethod::kNone) throw std::invalid_argument("estimate_trace: no method");
  detail::OperatorRef ref(op);
  if (method == TraceMethod::kKrylov) {
    if (basis == nullptr) throw std::invalid_argument("estimate_trace: the Krylov trace needs a Lanczos basis");
    return detail::krylov_deflated(ref, *basis, samples, seed, blocks, target);
  }
  return method == TraceMethod::kHutchpp ? detail::hutchpp(ref, samples, seed, blocks, target)
                                         : detail::hutchinson(ref, samples, seed, blocks, target);
}

/// The estimate of `method` with `samples` probes (Hutchinson) or products (Hutch++), fewer
/// when `target` is met first; std::invalid_argument for kNone.
template <class Op>
TraceEstimate estimate_trace(const Op& op, TraceMethod method, int samples, std::uint64_t seed,
                             const TraceTarget& target = {}) {
  return estimate_block_traces(op, method, samples, seed, {}, target).whole;
}

}  // namespace curvtrack::linalg
