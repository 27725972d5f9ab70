#pragma once
// Pieces shared by the eigensolvers in src/ (private to the library).

#include <Eigen/Core>
#include <string>

#include "curvtrack/linalg/eigen_solver.hpp"

namespace curvtrack::linalg::detail {

/// Ritz or exact eigenpairs: values and their vectors (coefficients in some basis).
struct RitzPairs {
  Eigen::VectorXd values;
  Eigen::MatrixXd vectors;
};

/// Whether the Ritz pairs are due for a convergence check after `steps` Lanczos steps (k wanted):
/// after every step up to 64, then every steps/16 steps.
bool check_due(int steps, int k);

/// The k wanted pairs out of an ascending decomposition, in the order EigenResult promises.
RitzPairs select(const Eigen::VectorXd& ascending, const Eigen::MatrixXd& vectors, Spectrum which, int k);

/// The sum of the normalised warm-start vectors plus a little seeded noise, or pure noise.
Eigen::VectorXd start_vector(const EigenOptions& options, Eigen::Index n);

/// The residual a pair with eigenvalue `value` must stay under: tol * max(|value|, scale, eps^(2/3)).
double residual_bound(double value, double tol, double scale);

/// max over pairs of residual / max(|lambda|, scale), for status messages.
double worst_relative_residual(const EigenResult& result, double scale);

/// " (worst residual / max(|lambda|, scale) = X)", the tail of a not-converged status.
std::string worst_clause(const EigenResult& result, double scale);

/// The status of a solve whose residual estimates met tol while its true residuals did not: they
/// sit at the rounding floor of the products (float32 products, or a near-zero eigenvalue).
std::string stalled_status(const EigenResult& result, double scale);

/// x with three significant digits.
std::string format_double(double x);

/// The implicitly restarted solver (Spectra's SymEigsSolver), true residuals from k more products.
EigenResult restarted_eigenpairs(OperatorRef& op, Spectrum which, const EigenOptions& options);

/// The unrestarted Lanczos solver; continues with restarted_eigenpairs when its basis is full.
EigenResult lanczos_eigenpairs(OperatorRef& op, Spectrum which, const EigenOptions& options);

/// For a converged result with k >= 2 (and options.check_completeness): searches the operator
/// deflated by the pairs found for a missing one beyond the k-th value, merges each one found and
/// repeats; records the cost in `result`, and an honest outcome when the budget or basis ends it.
void check_completeness(OperatorRef& op, Spectrum which, const EigenOptions& options, EigenResult& result);

}  // namespace curvtrack::linalg::detail
