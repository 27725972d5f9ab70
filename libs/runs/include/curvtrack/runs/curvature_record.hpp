#pragma once
// One line of curvature.jsonl as a typed record: what a probe measured at one step (or why it
// did not), with every measure's settings, error estimate, product count and seconds. The
// probe, the offline prober and the report write and read these structs; JSON only in files.
// Field meanings: docs/curvature_jsonl.md.

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace curvtrack::runs {

/// An eigen-solve: eigenvalues with their true residuals and how the solver got there.
struct EigenRecord {
  int k = 0;
  std::vector<double> values;              ///< ascending for "bottom", descending for "top"
  std::vector<double> residuals;           ///< ||H v - lambda v||
  std::vector<double> relative_residuals;  ///< residual / |lambda|
  double spectral_scale = 0;               ///< scale near-zero eigenvalues converge against
  std::vector<double> scaled_residuals;    ///< residual / max(|lambda|, spectral_scale)
  bool converged = false;
  std::string status;                      ///< "converged" or "not converged: <why>"
  std::int64_t hvps = 0;
  std::int64_t lanczos_steps = 0;
  std::int64_t restarts = 0;
  double tol = 0;
  std::string method;
  std::int64_t max_basis = 0;
  std::int64_t ncv = 0;
  double seconds = 0;
  std::optional<bool> warm_started;        ///< training probes: started from the previous eigenvectors
  std::optional<std::int64_t> completeness_hvps;  ///< k >= 2: products of the check for missed repeated eigenvalues (in hvps)
  std::optional<int> completeness_added;          ///< pairs that check found missing and merged in
  nlohmann::json to_json() const;
};

/// A randomised trace estimate.
struct TraceRecord {
  std::string method;          ///< hutchinson | hutch++
  double value = 0;
  double standard_error = 0;   ///< NaN with fewer than 2 samples
  int samples = 0;
  std::int64_t hvps = 0;
  double seconds = 0;
  std::optional<double> target_relative_se;  ///< set when the samples could stop at a standard-error target
  std::optional<bool> target_reached;        ///< whether they did (false: the product cap came first)
  nlohmann::json to_json() const;
};

/// A spectral density by stochastic Lanczos quadrature.
struct DensityRecord {
  std::string method;
  int steps = 0;
  int runs = 0;
  std::vector<std::vector<double>> nodes;    ///< Ritz values per run
  std::vector<std::vector<double>> weights;  ///< their quadrature weights
  double sigma = 0;                          ///< Gaussian broadening
  std::vector<double> grid;
  std::vector<double> density;
  double trace_estimate = 0;
  double trace_standard_error = 0;
  std::int64_t hvps = 0;
  std::int64_t shared_hvps = 0;              ///< products of run 1 taken from the top-k solve's Lanczos run (not in hvps)
  double seconds = 0;
  nlohmann::json to_json() const;
};

/// lr * lambda_max against the optimizer's stability limit.
struct StabilityRecord {
  double lr_times_lambda_max = 0;
  std::optional<double> limit;              ///< unset for adaptive optimizers
  std::optional<double> fraction_of_limit;
  double momentum = 0;
  std::string optimizer;
  std::string note;
  nlohmann::json to_json() const;
};

/// Loss and accuracy of the network on a probe set.
struct SetLoss {
  double loss = 0;
  double accuracy = 0;
  std::int64_t examples = 0;
  nlohmann::json to_json() const;
};

/// L2 norms of the weights.
struct WeightNorms {
  double global = 0;
  std::map<std::string, double> per_parameter;
  nlohmann::json to_json() const;
};

/// One parameter block's measures: the principal submatrix of the operator over its parameters.
struct BlockRecord {
  std::vector<std::string> parameters;  ///< the parameter names, in network order
  std::int64_t size = 0;                ///< scalar parameters in the block
  double weight_norm = 0;               ///< L2 norm of the block's weights
  std::optional<EigenRecord> top;
  std::optional<TraceRecord> trace;
  nlohmann::json to_json() const;
};

/// What the top-k eigenvectors say about the gradient and about the previous probe.
struct SubspaceRecord {
  int k = 0;                                ///< eigenvectors in U_k
  double gradient_fraction = 0;             ///< ||U_k^T g||^2 / ||g||^2
  std::optional<double> previous_overlap;   ///< ||U_k^T U_prev||_F^2 / k (training probes after the first)
  nlohmann::json to_json() const;
};

/// lambda_max on several random probe sets of the same size: its spread over probe draws.
struct ProbeDrawsRecord {
  int draws = 0;
  std::int64_t examples = 0;          ///< examples per draw
  std::vector<std::uint64_t> seeds;   ///< the seed of each draw's examples
  std::vector<double> values;         ///< lambda_max per draw
  std::vector<bool> converged;        ///< each draw's convergence flag
  double mean = 0;
  double sd = 0;                      ///< sample standard deviation (NaN for one draw)
  double min = 0;
  double max = 0;
  std::int64_t hvps = 0;
  double seconds = 0;
  nlohmann::json to_json() const;
};

/// lambda_max and trace of the test-probe-set Hessian.
struct TestHessianRecord {
  std::int64_t examples = 0;
  double gradient_norm = 0;
  std::optional<EigenRecord> top;
  std::optional<TraceRecord> trace;
  std::int64_t hvps = 0;
  nlohmann::json to_json() const;
};

/// One scale-aware sharpness measurement (adaptive or epsilon), with every option it used.
struct SharpnessRecord {
  std::string kind;               ///< adaptive | epsilon
  double rho = 0;
  double eta = 0;
  double epsilon = 0;
  int steps_requested = 0;
  double step_size = 0;
  double step_size_option = 0;
  std::uint64_t seed = 0;
  std::int64_t batch_size = 0;
  std::string parameters_perturbed;
  double base_loss = 0;
  double max_loss = 0;
  double sharpness = 0;           ///< max_loss - base_loss
  std::optional<double> percent;  ///< 100 * sharpness / (1 + base_loss) (epsilon-sharpness)
  int steps = 0;
  std::int64_t gradient_evaluations = 0;
  std::int64_t loss_evaluations = 0;
  double seconds = 0;
  std::string status;
  nlohmann::json to_json() const;
};

/// The loss along a line through the weights.
struct Slice1dRecord {
  std::vector<double> alphas;
  std::vector<double> losses;
  std::string direction;
  nlohmann::json to_json() const;
};

/// The loss on a plane through the weights.
struct Slice2dRecord {
  std::vector<double> alphas;
  std::vector<double> betas;
  std::vector<std::vector<double>> losses;  ///< losses[i][j] at alphas[i], betas[j]
  std::string layout;
  nlohmann::json to_json() const;
};

/// The certificate of a lambda_max found by a few warm Lanczos steps (curvature.track =
/// certified, batch sharpness): what was checked, its value and whether it passed.
struct CertificateRecord {
  std::string checked;        ///< the test, in words
  double value = 0;           ///< top Ritz value theta
  double residual = 0;        ///< true residual ||H y - theta y|| of the Ritz pair
  double bound = 0;           ///< bound on |lambda - theta| for an eigenvalue lambda of H
  double relative_bound = 0;  ///< bound / |theta|
  double tol = 0;             ///< passes when relative_bound <= tol
  bool passed = false;
  bool fell_back = false;     ///< failed, and a full eigen-solve gave the recorded value
  bool warm_started = false;  ///< started from the previous Ritz vector (else a seeded random vector)
  std::string start;          ///< the start vector, in words (previous, extrapolated from which steps, random)
  std::int64_t hvps = 0;      ///< products of the certified attempt (= its Lanczos steps)
  std::string products;       ///< where the products were computed (graph, dtype)
  nlohmann::json to_json() const;
};

/// lambda_max of one training step's own minibatch loss (batch sharpness).
struct BatchSharpnessRecord {
  double lambda_max = 0;
  double lr_times_lambda_max = 0;
  std::int64_t examples = 0;  ///< the minibatch size
  double batch_loss = 0;      ///< the step's mean minibatch loss
  CertificateRecord certificate;
  std::int64_t hvps = 0;      ///< every product, the fallback's included
  std::optional<EigenRecord> fallback;  ///< the full solve, when the certificate failed
  double seconds = 0;
  nlohmann::json to_json() const;
};

/// One line of curvature.jsonl: a measured probe, a skipped one ("skipped") or the marker of
/// a diverged run ("probing_stopped").
struct CurvatureRecord {
  std::int64_t step = 0;
  std::string label;                        ///< peak, end, fraction 0.3, checkpoint, stopped ...
  std::optional<std::string> skipped;       ///< why this probe was not measured
  std::optional<std::string> probing_stopped;
  std::optional<double> lr;
  std::optional<double> momentum;
  nlohmann::json settings;                  ///< the probe's options (from its bindings) and set-up; null if absent
  std::optional<SetLoss> train_probe;
  std::optional<SetLoss> test_probe;
  std::optional<WeightNorms> weight_norm;
  std::optional<double> gradient_norm;
  std::optional<EigenRecord> top;
  std::optional<EigenRecord> bottom;
  std::optional<TraceRecord> trace;
  std::optional<DensityRecord> esd;
  std::optional<StabilityRecord> stability;
  std::optional<TestHessianRecord> test_hessian;
  std::map<std::string, BlockRecord> blocks;  ///< per parameter block (empty: blocks not probed)
  std::optional<SubspaceRecord> subspace;
  std::optional<CertificateRecord> certificate;          ///< curvature.track = certified
  std::optional<BatchSharpnessRecord> batch_sharpness;   ///< a batch-sharpness line (label "batch_sharpness")
  std::optional<ProbeDrawsRecord> probe_draws;
  std::optional<SharpnessRecord> adaptive_sharpness;
  std::optional<SharpnessRecord> epsilon_sharpness;
  bool has_sharpness = false;               ///< the record has a "sharpness" object (maybe empty)
  std::optional<Slice1dRecord> random_1d;
  std::optional<Slice2dRecord> random_2d;
  std::optional<Slice1dRecord> eigen_1d;
  bool has_slices = false;                  ///< the record has a "slices" object (maybe empty)
  std::optional<std::int64_t> hvps;
  std::optional<double> seconds;
  std::optional<bool> offline;              ///< measured afterwards from a checkpoint

  /// True for a measured probe: not skipped, with its probe-set loss.
  bool measured() const { return !skipped && train_probe.has_value(); }
  nlohmann::json to_json() const;
  /// Reads one line's object; core::DataError naming `where` and the field for a wrong type.
  static CurvatureRecord from_json(const nlohmann::json& json, const std::string& where);
};

/// The "blocks" object: one entry per block name.
nlohmann::json blocks_json(const std::map<std::string, BlockRecord>& blocks);
/// Reads a "blocks" object (absent: empty); core::DataError naming `where` for a wrong type.
std::map<std::string, BlockRecord> blocks_from_json(const nlohmann::json& parent, const std::string& where);
/// Reads a "subspace" object, if present.
std::optional<SubspaceRecord> subspace_from_json(const nlohmann::json& parent, const std::string& where);
/// Reads a "probe_draws" object, if present.
std::optional<ProbeDrawsRecord> probe_draws_from_json(const nlohmann::json& parent, const std::string& where);

/// Every complete record of a curvature.jsonl (see read_json_log), typed.
std::vector<CurvatureRecord> read_curvature_records(const std::filesystem::path& path);

}  // namespace curvtrack::runs
