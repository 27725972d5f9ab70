#pragma once
// The curvature matrices of the mean loss over a fixed probe set (docs/methods.md section 2), as
// linear operators (Spectra's operator concept), applied exactly and matrix-free:
//   hessian           H v by double backward (Pearlmutter);
//   ggn               G v = (1/N) sum_i J_i^T A_i J_i v, A_i the loss Hessian in output space;
//   empirical-fisher  F v = (1/N) sum_i g_i (g_i . v) = (1/N) sum_i J_i^T r_i r_i^T J_i v,
//                     r_i = dl_i/df_i, so no per-example gradient is ever formed.
// J v comes from a double-backward product (the transpose of the vector-Jacobian product
// differentiated in its dual argument); J is never formed. Any subset of the parameters can be
// selected: the operator is then the principal submatrix (the other parameters held fixed).

#include <ATen/core/Tensor.h>

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <vector>

#include "curvtrack/core/options.hpp"
#include "curvtrack/models/loss.hpp"
#include "curvtrack/models/network.hpp"

namespace curvtrack::curvature {

/// Which curvature matrix.
enum class OperatorKind {
  kHessian,          ///< the loss Hessian (indefinite)
  kGgn,              ///< generalised Gauss-Newton (positive semi-definite)
  kEmpiricalFisher,  ///< mean outer product of per-example gradients (positive semi-definite)
};

/// "hessian", "ggn", "empirical-fisher".
const core::NamedValues<OperatorKind>& operator_kind_names();

/// Whether every eigenvalue of the operator is >= 0 (GGN and empirical Fisher).
bool positive_semidefinite(OperatorKind kind);

/// Which matrix, of which loss, over which parameters, and how the probe set is processed.
struct OperatorOptions {
  OperatorKind kind = OperatorKind::kHessian;
  models::Loss loss = models::Loss::kCrossEntropy;
  /// Indices into network.parameters() the operator acts on, ascending (empty: all of them).
  std::vector<std::size_t> parameters;
  /// Examples per batch; per-batch products are averaged weighted by batch size.
  std::int64_t batch_size = 1024;
  /// Keep each batch's graph between products, so that one product costs one double-backward
  /// pass (Hessian) or two backward passes (GGN, Fisher) instead of also a forward. Costs memory.
  bool cache_graph = true;
  /// Data parallelism: when the inputs are this rank's share of a probe set split over ranks,
  /// the size of the whole set and an in-place sum over the ranks. Every rank then sees the
  /// loss, gradient and products of the whole probe set. Unset: the inputs are all of it.
  std::int64_t total_examples = 0;
  std::function<void(at::Tensor&)> sum_over_ranks;

  /// The Hessian of the cross-entropy over every parameter, in batches of `batch_size`.
  static OperatorOptions in_batches(std::int64_t batch_size, bool cache_graph = true) {
    OperatorOptions options;
    options.batch_size = batch_size;
    options.cache_graph = cache_graph;
    return options;
  }
};

/// The operator of `options.kind` for the mean data loss (no weight decay) of `network` over
/// (inputs, targets). The network is used as it is: callers put it in eval mode and the wanted
/// dtype and device; inputs are converted to the network's dtype and device. Satisfies the
/// linalg operator concept.
class CurvatureOperator {
 public:
  using Scalar = double;

  CurvatureOperator(models::Network& network, const at::Tensor& inputs, const at::Tensor& targets,
                    OperatorOptions options = {});

  /// Number of selected parameters n.
  Eigen::Index rows() const { return size_; }
  /// Number of selected parameters n.
  Eigen::Index cols() const { return size_; }
  /// y = M x for host vectors of length n (double precision; converted to the model dtype).
  void perform_op(const double* x, double* y) const;
  /// M v on the model's device and dtype, for a flat vector of length n.
  at::Tensor apply(const at::Tensor& vector) const;
  /// Products performed so far.
  std::int64_t products() const { return products_; }

  /// Mean loss over the probe set at the current parameters.
  double loss() const { return loss_; }
  /// Mean gradient over the probe set with respect to the selected parameters (host, double).
  const Eigen::VectorXd& gradient() const { return gradient_; }
  /// Number of probe examples.
  std::int64_t examples() const { return examples_; }
  /// The dtype products are computed in.
  c10::ScalarType dtype() const { return dtype_; }
  /// Which matrix this is.
  OperatorKind kind() const { return options_.kind; }

 private:
  struct Batch {
    at::Tensor inputs;
    at::Tensor targets;
    double weight;             // batch size / probe size
    // Cached graph: the Hessian keeps the differentiable flat gradient; GGN and Fisher keep the
    // outputs, the dual variable u and the differentiable J^T u.
    at::Tensor flat_gradient;
    at::Tensor outputs;
    at::Tensor dual;
    at::Tensor dual_product;
  };
  struct BatchGradient {
    double loss;               // batch loss times its weight
    at::Tensor flat_gradient;  // gradient of that, flattened
  };
  BatchGradient build_graph(Batch& batch, bool keep_graph) const;
  void attach_outer_graph(Batch& batch, const at::Tensor& outputs) const;
  at::Tensor batch_product(const Batch& batch, const at::Tensor& vector) const;
  at::Tensor hessian_product(const Batch& batch, const at::Tensor& vector) const;
  at::Tensor outer_product(const Batch& batch, const at::Tensor& vector) const;
  std::vector<at::Tensor> gradients(const at::Tensor& output, const at::Tensor& grad_output, bool keep_graph) const;

  models::Network& network_;
  OperatorOptions options_;
  std::vector<at::Tensor> parameters_;
  std::vector<Batch> batches_;
  Eigen::Index size_ = 0;
  std::int64_t examples_ = 0;
  c10::ScalarType dtype_;
  c10::Device device_;
  double loss_ = 0.0;
  Eigen::VectorXd gradient_;
  mutable std::int64_t products_ = 0;
};

/// Flattens tensors into one vector (in order), for parameters and gradients.
at::Tensor flatten(const std::vector<at::Tensor>& tensors);

/// Applies the operator twice to the same seeded random vector; returns the largest absolute
/// difference between the two results (0 means bit-identical).
double determinism_gap(const CurvatureOperator& op, std::uint64_t seed);

}  // namespace curvtrack::curvature
