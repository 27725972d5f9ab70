#pragma once
// The dense float64 reference of each curvature operator (tests/support/dense_reference.hpp: plain
// first-order autograd per example or per output, assembled with Eigen), the problems the
// reference tests run on, and the comparison of an operator with its reference: entrywise, top-k
// eigenvalues through the project's eigen-solver, and the trace.

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <string>

#include "curvtrack/curvature/curvature_operator.hpp"
#include "curvtrack/curvature/spectrum.hpp"
#include "dense_reference.hpp"
#include "test_problem.hpp"
#include "test_support.hpp"

namespace curvtrack::testing {

/// The reference matrix of `kind` for the mean `loss` over (inputs, targets).
inline Eigen::MatrixXd reference_matrix(curvature::OperatorKind kind, models::Network& network,
                                        const at::Tensor& inputs, const at::Tensor& targets, models::Loss loss) {
  switch (kind) {
    case curvature::OperatorKind::kHessian: return row_by_row_hessian(network, inputs, targets, loss);
    case curvature::OperatorKind::kGgn: return ggn_reference(network, inputs, loss);
    case curvature::OperatorKind::kEmpiricalFisher: return empirical_fisher_reference(network, inputs, targets, loss);
  }
  return {};
}

/// Which targets a case uses: class labels with either loss, or float rows with the square loss.
enum class Targets { kLabels, kRows };

/// A case: the loss and the kind of targets.
struct LossCase {
  models::Loss loss;
  Targets targets;
  std::string name() const {
    return models::loss_names().name(loss) + (targets == Targets::kRows ? " (float rows)" : " (labels)");
  }
};

/// The three loss cases: cross-entropy with labels, mse with one-hot labels, mse with float rows.
inline std::vector<LossCase> loss_cases() {
  return {{models::Loss::kCrossEntropy, Targets::kLabels},
          {models::Loss::kMse, Targets::kLabels},
          {models::Loss::kMse, Targets::kRows}};
}

/// make_problem, with the labels replaced by seeded float rows [N, classes] for Targets::kRows.
inline Problem make_targets_problem(const std::string& spec, std::int64_t examples, std::int64_t side,
                                    std::int64_t classes, Targets targets) {
  Problem problem = make_problem(spec, examples, side, classes);
  if (targets == Targets::kRows) {
    torch::manual_seed(13);
    problem.labels = at::randn({examples, classes}, at::kDouble);
  }
  return problem;
}

/// The input side of the images each reference spec takes (single channel).
inline std::int64_t side_of(const std::string& spec) { return spec.rfind("mlp:", 0) == 0 ? 2 : 4; }

/// The largest k eigenvalues of a symmetric matrix, descending (Eigen's dense solver).
inline Eigen::VectorXd dense_top(const Eigen::MatrixXd& matrix, int k) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(0.5 * (matrix + matrix.transpose()),
                                                        Eigen::EigenvaluesOnly);
  return solver.eigenvalues().tail(k).reverse();
}

/// max_i |a_i - b_i| / |b_i|.
inline double largest_relative_error(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return ((a - b).array().abs() / b.array().abs()).maxCoeff();
}

/// Whether the top k + 1 eigenvalues of a symmetric matrix hold a repeated value (relative
/// separation below 1e-8): single-vector Lanczos then finds one copy only (the known bug in
/// test_parameter_blocks.cpp), and `values` are checked by `top_values_error` instead.
inline bool repeated_top(const Eigen::MatrixXd& matrix, int k) {
  const Eigen::VectorXd top = dense_top(matrix, static_cast<int>(std::min<Eigen::Index>(k + 1, matrix.rows())));
  for (Eigen::Index i = 0; i + 1 < top.size(); ++i) {
    if (top[i] - top[i + 1] <= 1e-8 * std::abs(top[0])) return true;
  }
  return false;
}

/// The error of eigen-solver values against a matrix's top eigenvalues: the largest relative
/// error of the top k in order when they are distinct; otherwise the larger of lambda_1's error
/// and each value's relative distance to the nearest eigenvalue (each is a true eigenvalue).
inline double top_values_error(const Eigen::VectorXd& values, const Eigen::MatrixXd& matrix) {
  const auto k = static_cast<int>(values.size());
  if (!repeated_top(matrix, k)) return largest_relative_error(values, dense_top(matrix, k));
  const Eigen::VectorXd all = dense_top(matrix, static_cast<int>(matrix.rows()));
  double error = std::abs(values[0] - all[0]) / std::abs(all[0]);
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    error = std::max(error, (all.array() - values[i]).abs().minCoeff() / std::abs(all[0]));
  }
  return error;
}

/// How far an operator is from its reference.
struct Agreement {
  double entries = 0;        ///< relative_gap of the operator's dense matrix to the reference
  double asymmetry = 0;      ///< relative_gap of the operator's dense matrix to its transpose
  double top = 0;            ///< top_values_error of the project eigen-solver's top-k values
  double trace = 0;          ///< relative error of the operator's exact trace (sum of e_i^T M e_i)
  double hutchpp_trace = 0;  ///< relative error of Hutch++ with 3n products (exact up to rounding)
  bool converged = false;    ///< the eigen-solver's flag
};

/// Compares `op` with `reference`: dense entries, top-k eigenvalues from curvature::measure_spectrum
/// (the project's eigen-solver, tol 1e-10; by top_values_error) and the trace, against Eigen's
/// dense solver.
template <class Op>
Agreement agreement(const Op& op, const Eigen::MatrixXd& reference, int k) {
  Agreement out;
  const Eigen::MatrixXd dense = dense_from_operator(op);
  out.entries = relative_gap(dense, reference);
  out.asymmetry = relative_gap(dense, Eigen::MatrixXd(dense.transpose()));
  curvature::SpectrumRequest request;
  request.top_k = k;
  request.trace = linalg::TraceMethod::kHutchpp;
  request.trace_samples = static_cast<int>(3 * op.rows());
  request.seed = 5;
  curvature::SpectrumMeasures measures = curvature::measure_spectrum(op, request);
  const Eigen::VectorXd top = Eigen::Map<const Eigen::VectorXd>(measures.top->values.data(), k);
  out.top = top_values_error(top, reference);
  out.converged = measures.top->converged;
  const double trace = reference.trace();
  out.trace = std::abs(dense.trace() - trace) / std::abs(trace);
  out.hutchpp_trace = std::abs(measures.trace->value - trace) / std::abs(trace);
  return out;
}

/// The options of an operator of `kind` for `loss`, over `parameters` (empty: all).
inline curvature::OperatorOptions operator_options(curvature::OperatorKind kind, models::Loss loss,
                                                   std::vector<std::size_t> parameters = {},
                                                   std::int64_t batch_size = 1024, bool cache_graph = true) {
  curvature::OperatorOptions options = curvature::OperatorOptions::in_batches(batch_size, cache_graph);
  options.kind = kind;
  options.loss = loss;
  options.parameters = std::move(parameters);
  return options;
}

}  // namespace curvtrack::testing
