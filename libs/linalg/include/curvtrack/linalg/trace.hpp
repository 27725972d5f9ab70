#pragma once
// Randomised trace estimators (Hutchinson 1989; Meyer, Musco, Musco, Woodruff 2021).

#include <Eigen/Core>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "curvtrack/linalg/operator_ref.hpp"

namespace curvtrack::linalg {

/// Which randomised trace estimator to run.
enum class TraceMethod { kNone, kHutchinson, kHutchpp };

/// A trace estimate with its standard error.
struct TraceEstimate {
  double value = 0;           ///< estimated trace
  double standard_error = 0;  ///< sd of the Hutchinson samples / sqrt(samples); NaN with < 2 samples
  int samples = 0;            ///< Hutchinson probes behind standard_error
  std::int64_t products = 0;  ///< operator products
  std::string method;         ///< "hutchinson" or "hutch++"
};

namespace detail {
TraceEstimate hutchinson(const OperatorRef& op, int samples, std::uint64_t seed);
TraceEstimate hutchpp(const OperatorRef& op, int products_budget, std::uint64_t seed);
}  // namespace detail

/// Hutchinson's estimator with `samples` Rademacher probes (one product each).
template <class Op>
TraceEstimate hutchinson(const Op& op, int samples, std::uint64_t seed) {
  return detail::hutchinson(detail::OperatorRef(op), samples, seed);
}

/// Hutch++ with `products_budget` >= 3 products: a third sketch the range, a third project on it,
/// the rest run Hutchinson on the deflated remainder.
template <class Op>
TraceEstimate hutchpp(const Op& op, int products_budget, std::uint64_t seed) {
  return detail::hutchpp(detail::OperatorRef(op), products_budget, seed);
}

/// The estimate of `method` with `samples` probes (Hutchinson) or products (Hutch++);
/// std::invalid_argument for kNone.
template <class Op>
TraceEstimate estimate_trace(const Op& op, TraceMethod method, int samples, std::uint64_t seed) {
  if (method == TraceMethod::kNone) throw std::invalid_argument("estimate_trace: no method");
  return method == TraceMethod::kHutchpp ? hutchpp(op, samples, seed) : hutchinson(op, samples, seed);
}

}  // namespace curvtrack::linalg
