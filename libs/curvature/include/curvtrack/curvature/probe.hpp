#pragma once
// One curvature probe of a network on a fixed probe set: every measure of docs/methods.md
// section 3 that is switched on, as one JSON record with its settings, error estimates, HVP
// counts and seconds. Eigenvectors are kept between probes to warm-start the next one.

#include <ATen/core/Tensor.h>

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "curvtrack/core/options.hpp"
#include "curvtrack/curvature/curvature_operator.hpp"
#include "curvtrack/curvature/parameter_blocks.hpp"
#include "curvtrack/curvature/spectrum.hpp"
#include "curvtrack/curvature/step_graph.hpp"
#include "curvtrack/curvature/tracking.hpp"
#include "curvtrack/linalg/ritz_history.hpp"
#include "curvtrack/linalg/trace.hpp"
#include "curvtrack/data/dataset.hpp"
#include "curvtrack/models/network.hpp"

namespace curvtrack::curvature {

/// BatchNorm layers during a probe: eval (running statistics re-estimated on the probe set) or
/// train (batch statistics of fixed batches).
enum class BatchNormMode { kEval, kTrain };
/// Which scale-aware sharpness measures a probe takes.
enum class SharpnessSet { kNone, kAdaptive, kEpsilon, kBoth };
/// Which loss slices a probe takes: filter-normalised random directions, the top eigenvector.
enum class SliceSet { kNone, kRandom, kEigen, kBoth };
/// How lambda_max is found at the probe points: full (a warm-started eigen-solve on the probe
/// copy) or certified (a few Lanczos steps on the training step's own graph, accepted by a
/// true-residual certificate, else the full solve).
enum class TrackMode { kFull, kCertified };
/// Where a certified attempt starts: the previous Ritz vector, or that vector moved on along the
/// line through the last two (linalg::RitzHistory).
enum class TrackStart { kPrevious, kExtrapolated };

/// What a probe measures and with which budget ([curvature] section). bind() declares every
/// key: the field initialisers are the only defaults, the bindings the only choices.
struct ProbeOptions {
  OperatorKind matrix = OperatorKind::kHessian;  ///< which curvature matrix
  std::optional<models::Loss> loss;   ///< the probed loss (unset: the training loss, see resolve_loss)
  std::string params = "all";         ///< comma-separated globs over parameter names (all: every one)
  BlockMode blocks = BlockMode::kNone;  ///< per-block weight norms, traces and top eigenvalues
  int top_k = 1;                      ///< largest eigenpairs (0: none)
  int block_top_k = 0;                ///< largest eigenpairs of each block (0: none)
  int bottom_k = 0;                   ///< smallest eigenpairs (0: none)
  linalg::TraceMethod trace = linalg::TraceMethod::kHutchpp;
  int trace_samples = 30;             ///< Hutch++ product budget or Hutchinson probes
  int esd_steps = 0;                  ///< SLQ Lanczos steps (0: no density)
  int esd_runs = 0;                   ///< SLQ start vectors
  double tol = 1e-8;                  ///< eigen-solver relative tolerance
  std::int64_t max_hvps = 500;        ///< HVP budget per eigen-solve (0: unlimited)
  bool warm_start = true;             ///< start from the previous probe's eigenvectors
  BatchNormMode bn_mode = BatchNormMode::kEval;
  std::int64_t batch_size = 1024;     ///< probe examples per batch
  std::uint64_t seed = 0;             ///< random vectors; each probe adds its step
  bool test_hessian = false;          ///< also λmax and trace of the test-probe-set Hessian
  SharpnessSet sharpness = SharpnessSet::kNone;
  double rho = 0.05;                  ///< adaptive sharpness radius
  double eta = 0.0;                   ///< adaptive sharpness offset: ||e / (|w| + eta)|| <= rho
  double epsilon = 1e-3;              ///< epsilon-sharpness box: |e_i| <= epsilon (|w_i| + 1)
  int sharpness_steps = 10;           ///< projected gradient-ascent steps
  SliceSet slices = SliceSet::kNone;  ///< 1-D slices; random also 2-D
  int slice_points = 21;              ///< grid points per slice axis
  double slice_radius = 1.0;          ///< slice extent (filter-normalised units; eigen: parameter units)
  std::uint64_t slice_seed = 0;       ///< the same random directions for every run of a study
  TrackMode track = TrackMode::kFull;  ///< how lambda_max is found at the probe points
  double track_tol = 1e-3;            ///< certificate: residual <= track_tol * |lambda|
  int track_steps = 8;                ///< Lanczos steps of one certified attempt (from a previous Ritz vector)
  TrackStart track_start = TrackStart::kExtrapolated;  ///< the attempt's start vector
  std::int64_t batch_sharpness_every = 0;  ///< lambda_max of the step's minibatch every K steps (0: never)
  double batch_sharpness_tol = 1e-2;  ///< its certificate (and fallback solve): residual <= tol * |lambda|

  /// The loss probed: `loss` if set, else the training loss.
  models::Loss resolve_loss(models::Loss training) const { return loss.value_or(training); }
  /// Binds every curvature.* key of a probe to its field.
  void bind(core::OptionBindings& bindings);
  /// Throws core::UsageError naming the curvature.* key at fault.
  void check() const;
  /// The recorded options, for the record's "settings".
  nlohmann::json to_json() const;
};

/// Spellings of the BatchNorm modes in configs and records.
const core::NamedValues<BatchNormMode>& batch_norm_mode_names();

/// "every:K" -> K (K >= 1), "none" -> 0; anything else is a UsageError naming curvature.batch_sharpness.
std::int64_t parse_batch_sharpness(const std::string& text);

/// The optimizer facts a stability ratio needs at the probed step.
struct StepContext {
  std::int64_t step = 0;
  std::string label;                  ///< peak, end, fraction 0.3, ...
  double lr = 0;                      ///< learning rate used by update `step`
  double momentum = 0;                ///< momentum (or beta1) in force at that step
  double stability_limit = 0;         ///< lr * lambda_max limit for the optimizer (NaN: none)
  std::string optimizer;              ///< description, for the record
};

/// Measures a network on a training probe set (and optionally a test probe set).
class CurvatureProbe {
 public:
  CurvatureProbe(ProbeOptions options, data::Dataset train_probe, data::Dataset test_probe);

  /// Probes `network` (in the dtype it is in; BatchNorm statistics are re-estimated on the
  /// probe set in eval mode) and returns the record. Modifies only BatchNorm buffers.
  runs::CurvatureRecord measure(models::Network& network, const StepContext& context);

  /// curvature.track = certified: lambda_max by a certified attempt on the training step's own
  /// graph `op` (the probe set is that step's batch, whose loss and accuracy are `batch`). The
  /// record when the certificate passed; otherwise none, with the failed certificate in
  /// `certificate`, for the caller's full probe. The first attempt starts cold (seeded).
  std::optional<runs::CurvatureRecord> track_on_step(const StepGraphOperator& op, models::Network& network,
                                                     const StepContext& context, const runs::SetLoss& batch,
                                                     runs::CertificateRecord& certificate);
  /// Batch sharpness: lambda_max of the step's own minibatch loss on its graph `op`, as a
  /// curvature.jsonl line labelled "batch_sharpness".
  runs::CurvatureRecord batch_sharpness(const StepGraphOperator& op, const StepContext& context, double batch_loss,
                                        std::int64_t examples);

  /// Vectors kept for the next warm starts (for checkpoints): the eigenvectors [k, n] (maybe
  /// [0, 0]), batch sharpness's vector [1, n] (maybe [0, 0]), the top vector's history [h, n]
  /// and its steps [h] (h <= 2); or none.
  std::vector<at::Tensor> state() const;
  /// Restores state() output.
  void load_state(const std::vector<at::Tensor>& state);

  /// With several ranks probing the same network: this rank's HVPs (eigenvalues, trace,
  /// density, test-set Hessian) cover only its contiguous share of each probe set and are
  /// summed over the ranks by `sum`; the cheaper measures use the whole sets on every rank.
  void split_products(int rank, int ranks, std::function<void(at::Tensor&)> sum);

 private:
  // The spectrum request of one probe: the options' measures and budgets, from `seed`.
  SpectrumRequest request(std::uint64_t seed) const;
  // The operator options of this probe (matrix, loss, selected parameters, batches, ranks).
  OperatorOptions operator_options(models::Network& network) const;
  // The curvature operator of `set` at the network, over this rank's share of it.
  CurvatureOperator operator_of(models::Network& network, const data::Dataset& set) const;

  runs::TestHessianRecord measure_test_hessian(models::Network& network, std::uint64_t seed);
  void measure_sharpnesses(models::Network& network, runs::CurvatureRecord& record);
  void measure_slices(models::Network& network, runs::CurvatureRecord& record);

  ProbeOptions options_;
  data::Dataset train_probe_;
  data::Dataset test_probe_;
  std::vector<Eigen::VectorXd> previous_top_;
  // lambda_max's vectors at the last two probe points, for track_start (a certified attempt's after
  // its free power step, linalg::power_refined)
  linalg::RitzHistory top_history_;
  std::optional<Eigen::VectorXd> previous_batch_top_;
  int rank_ = 0;
  int ranks_ = 1;
  std::function<void(at::Tensor&)> sum_over_ranks_;
};

/// Global and per-parameter L2 norms of the network's weights.
runs::WeightNorms weight_norms(models::Network& network);

}  // namespace curvtrack::curvature
