#pragma once
// Cheap lambda_max on a training step's own graph (docs/methods.md, "Certified tracking"): a few
// Lanczos steps from the previous Ritz vector, accepted by a true-residual certificate; and batch
// sharpness, lambda_max of a step's own minibatch loss, with a full solve when that fails.

#include <Eigen/Core>
#include <cstdint>
#include <optional>

#include "curvtrack/curvature/step_graph.hpp"
#include "curvtrack/linalg/certified_ritz.hpp"
#include "curvtrack/runs/curvature_record.hpp"

namespace curvtrack::curvature {

/// The certificate's tolerance and step budget.
struct TrackSettings {
  double tol = 1e-3;  ///< accept when residual <= tol * |theta|
  int max_steps = 3;  ///< Lanczos steps (products) of one attempt
};

/// One certified attempt: the Ritz pair and its certificate (as recorded).
struct TrackAttempt {
  linalg::CertifiedRitz ritz;
  runs::CertificateRecord certificate;
};

/// A certified attempt on `op` from `start`; `warm` says whether `start` is a previous Ritz vector.
TrackAttempt certified_attempt(const StepGraphOperator& op, const Eigen::VectorXd& start, bool warm,
                               const TrackSettings& settings);

/// A passed attempt as an eigen record (k = 1, converged = the certificate passed).
runs::EigenRecord certified_eigen_record(const TrackAttempt& attempt, double seconds);

/// What batch_sharpness found, with the unit vector to warm-start the next one.
struct BatchSharpness {
  runs::BatchSharpnessRecord record;
  Eigen::VectorXd vector;
};

/// lambda_max of the step's minibatch loss: a certified attempt from `warm` (when given), else or
/// when it fails a full Lanczos solve to `settings.tol` within `max_hvps` products (0: unlimited)
/// started from the attempt's Ritz vector or, cold, from `seed`.
BatchSharpness batch_sharpness(const StepGraphOperator& op, const std::optional<Eigen::VectorXd>& warm,
                               const TrackSettings& settings, std::int64_t max_hvps, std::uint64_t seed);

}  // namespace curvtrack::curvature
