#pragma once
// An operator wrapper that reports each product to a progress line.

#include <Eigen/Core>

#include "curvtrack/core/progress.hpp"

namespace curvtrack::runner {

/// Forwards to `op` and updates `progress` with the running product count.
template <class Op>
class ProgressOperator {
 public:
  using Scalar = double;
  ProgressOperator(const Op& op, core::Progress& progress) : op_(op), progress_(progress) {}
  Eigen::Index rows() const { return op_.rows(); }
  Eigen::Index cols() const { return op_.cols(); }
  void perform_op(const double* x, double* y) const {
    op_.perform_op(x, y);
    progress_.update(op_.products(), "HVPs");
  }

 private:
  const Op& op_;
  core::Progress& progress_;
};

}  // namespace curvtrack::runner
