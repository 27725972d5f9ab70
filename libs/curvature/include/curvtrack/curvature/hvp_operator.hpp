#pragma once
// The Hessian of the mean cross-entropy over a fixed probe set, as a linear operator
// (Spectra's operator concept), applied exactly by double backward (Pearlmutter).

#include <ATen/core/Tensor.h>

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <vector>

#include "curvtrack/models/network.hpp"

namespace curvtrack::curvature {

/// How the probe set is processed.
struct HvpOptions {
  /// Examples per batch; per-batch products are averaged weighted by batch size.
  std::int64_t batch_size = 1024;
  /// Keep each batch's differentiable gradient between products, so that one product costs one
  /// double-backward pass instead of forward + backward + double backward. Costs memory.
  bool cache_graph = true;
  /// Data parallelism: when the inputs are this rank's share of a probe set split over ranks,
  /// the size of the whole set and an in-place sum over the ranks. Every rank then sees the
  /// loss, gradient and products of the whole probe set. Unset: the inputs are all of it.
  std::int64_t total_examples = 0;
  std::function<void(at::Tensor&)> sum_over_ranks;
};

/// H v for the mean data loss (no weight decay) of `network` over (inputs, labels).
/// The network is used as it is: callers put it in eval mode and the wanted dtype and device;
/// inputs are converted to the network's dtype and device. Satisfies the linalg operator concept.
class HvpOperator {
 public:
  using Scalar = double;

  HvpOperator(models::Network& network, const at::Tensor& inputs, const at::Tensor& labels,
              HvpOptions options = {});

  /// Number of parameters n.
  Eigen::Index rows() const { return size_; }
  /// Number of parameters n.
  Eigen::Index cols() const { return size_; }
  /// y = H x for host vectors of length n (double precision; converted to the model dtype).
  void perform_op(const double* x, double* y) const;
  /// H v on the model's device and dtype, for a flat vector of length n.
  at::Tensor apply(const at::Tensor& vector) const;
  /// Hessian-vector products performed so far.
  std::int64_t products() const { return products_; }

  /// Mean cross-entropy loss over the probe set at the current parameters.
  double loss() const { return loss_; }
  /// Mean gradient over the probe set (host, double).
  const Eigen::VectorXd& gradient() const { return gradient_; }
  /// Number of probe examples.
  std::int64_t examples() const { return examples_; }
  /// The dtype products are computed in.
  c10::ScalarType dtype() const { return dtype_; }

 private:
  struct Batch {
    at::Tensor inputs;
    at::Tensor labels;
    double weight;               // batch size / probe size
    at::Tensor flat_gradient;    // differentiable, when the graph is cached
  };
  struct WeightedGradient {
    double loss;                 // batch loss times its weight
    at::Tensor flat_gradient;    // gradient of that, flattened
  };
  WeightedGradient weighted_gradient(const Batch& batch, bool create_graph) const;
  at::Tensor batch_product(const Batch& batch, const at::Tensor& vector) const;

  models::Network& network_;
  HvpOptions options_;
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
double determinism_gap(const HvpOperator& op, std::uint64_t seed);

}  // namespace curvtrack::curvature
