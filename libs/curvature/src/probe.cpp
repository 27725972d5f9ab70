#include "curvtrack/curvature/probe.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <chrono>
#include <cmath>
#include <random>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/shares.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/curvature/block_measures.hpp"
#include "curvtrack/curvature/curvature_operator.hpp"
#include "curvtrack/curvature/subspace.hpp"
#include "curvtrack/curvature/loss_slices.hpp"
#include "curvtrack/curvature/sharpness.hpp"
#include "curvtrack/curvature/spectrum.hpp"
#include "curvtrack/linalg/eigen_solver.hpp"
#include "curvtrack/linalg/random_vectors.hpp"
#include "curvtrack/linalg/slq.hpp"
#include "curvtrack/linalg/trace.hpp"

namespace curvtrack::curvature {
namespace {

using Clock = std::chrono::steady_clock;

// Lanczos steps of a certified attempt without a previous Ritz vector (a cold start).
constexpr int kColdSteps = 60;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A record's opening: where it was taken.
runs::CurvatureRecord record_at(const StepContext& context, const std::string& label) {
  runs::CurvatureRecord record;
  record.step = context.step;
  record.label = label;
  record.lr = context.lr;
  record.momentum = context.momentum;
  return record;
}

// What a probe was measured with: the options, the examples and the products' precision.
nlohmann::json measured_with(const nlohmann::json& options, std::int64_t examples, bool float64) {
  nlohmann::json settings = options;
  settings["probe_examples"] = examples;
  settings["dtype"] = float64 ? "float64" : "float32";
  return settings;
}

// Loss and accuracy of the network as it is on a dataset.
runs::SetLoss loss_and_accuracy(models::Network& network, const data::Dataset& set, std::int64_t batch_size,
                                models::Loss loss_kind) {
  c10::NoGradGuard no_grad;
  auto options = network.parameters().front().options();
  double loss = 0, correct = 0;
  const std::int64_t n = set.images.size(0);
  for (std::int64_t begin = 0; begin < n; begin += batch_size) {
    at::Tensor inputs = set.images.slice(0, begin, begin + batch_size).to(options);
    at::Tensor labels = set.labels.slice(0, begin, begin + batch_size).to(options.device());
    at::Tensor logits = network.forward(inputs);
    loss += models::summed_loss(loss_kind, logits, labels).item<double>();
    correct += models::correct_count(logits, labels).item<double>();
  }
  return {loss / static_cast<double>(n), correct / static_cast<double>(n), n};
}

// lr * lambda_max against the optimizer's stability limit (NaN limit: an adaptive optimizer).
runs::StabilityRecord stability_record(const StepContext& context, double lambda_max) {
  const bool adaptive = std::isnan(context.stability_limit);
  runs::StabilityRecord record;
  record.lr_times_lambda_max = context.lr * lambda_max;
  if (!adaptive) {
    record.limit = context.stability_limit;
    record.fraction_of_limit = record.lr_times_lambda_max / context.stability_limit;
  }
  record.momentum = context.momentum;
  record.optimizer = context.optimizer;
  record.note = adaptive ? "adaptive optimizer: the limit applies to the preconditioned Hessian, not reported"
                         : "limit 2(1+b) for heavy ball, (2+2b)/(1+2b) for Nesterov, b = momentum in force";
  return record;
}

}  // namespace

const core::NamedValues<BatchNormMode>& batch_norm_mode_names() {
  static const core::NamedValues<BatchNormMode> names = {{BatchNormMode::kEval, "eval"}, {BatchNormMode::kTrain, "train"}};
  return names;
}

void ProbeOptions::bind(core::OptionBindings& bindings) {
  using core::Recorded;
  static const core::NamedValues<SharpnessSet> sharpness_names = {{SharpnessSet::kNone, "none"},
                                                                  {SharpnessSet::kAdaptive, "adaptive"},
                                                                  {SharpnessSet::kEpsilon, "epsilon"},
                                                                  {SharpnessSet::kBoth, "both"}};
  static const core::NamedValues<SliceSet> slice_names = {
      {SliceSet::kNone, "none"}, {SliceSet::kRandom, "random"}, {SliceSet::kEigen, "eigen"}, {SliceSet::kBoth, "both"}};
  static const core::NamedValues<std::optional<models::Loss>> loss_choices = {
      {std::nullopt, "train"}, {models::Loss::kCrossEntropy, "cross-entropy"}, {models::Loss::kMse, "mse"}};
  bindings.add("curvature.matrix", matrix,
               "curvature matrix: hessian, generalised Gauss-Newton (ggn) or empirical-fisher", operator_kind_names());
  bindings.add("curvature.loss", loss, "loss probed (train: the [train] loss)", loss_choices);
  bindings.add("curvature.params", params, "comma-separated globs over parameter names probed (all: every one)");
  bindings.add("curvature.blocks", blocks,
               "per-block weight norms, traces (from the whole trace's products) and top eigenvalues: none, module or "
               "tensor",
               block_mode_names());
  bindings.add("curvature.block_top_k", block_top_k, "largest eigenvalues of each block, a solve each (0: none)");
  bindings.add("curvature.top_k", top_k, "largest Hessian eigenvalues (warm-started)");
  bindings.add("curvature.bottom_k", bottom_k, "smallest Hessian eigenvalues");
  bindings.add("curvature.trace", trace, "trace estimator", trace_method_names());
  bindings.add("curvature.trace_samples", trace_samples, "Hutch++ HVP budget or Hutchinson probes");
  core::OptionBinding esd{"curvature.esd", "text", "spectral density STEPSxRUNS (e.g. 80x10) or none", {}, {}, {}, {}, {}};
  esd.parse = [this](const std::string& text) { parse_density_shape(text, "curvature.esd", esd_steps, esd_runs); };
  esd.format = [this] { return density_shape_text(esd_steps, esd_runs); };
  esd.record = [this](nlohmann::json& out) {
    out["esd_steps"] = esd_steps;
    out["esd_runs"] = esd_runs;
  };
  bindings.add_custom(std::move(esd));
  bindings.add("curvature.tol", tol, "eigen-solver relative tolerance");
  bindings.add("curvature.max_hvps", max_hvps, "HVP budget per eigen-solve (unconverged results are flagged)");
  bindings.add("curvature.warm_start", warm_start, "start each eigen-solve from the previous probe's eigenvectors");
  bindings.add("curvature.bn_mode", bn_mode,
               "BatchNorm during probes: eval (statistics re-estimated on the probe set) or train", batch_norm_mode_names());
  bindings.add("curvature.batch_size", batch_size, "probe examples per batch");
  bindings.add("curvature.seed", seed, "seed of the random vectors (each probe adds its step)");
  bindings.add("curvature.test_hessian", test_hessian,
               "also lambda_max and trace of the test-loss Hessian on curvature.test_probe");
  bindings.add("curvature.sharpness", sharpness, "scale-aware sharpness at each probe", sharpness_names);
  bindings.add("curvature.rho", rho, "adaptive sharpness radius: ||e / (|w| + eta)||_2 <= rho", Recorded::kNo);
  bindings.add("curvature.eta", eta, "adaptive sharpness offset eta", Recorded::kNo);
  bindings.add("curvature.epsilon", epsilon, "epsilon-sharpness box: |e_i| <= epsilon (|w_i| + 1)", Recorded::kNo);
  bindings.add("curvature.sharpness_steps", sharpness_steps, "projected gradient-ascent steps for sharpness",
               Recorded::kNo);
  bindings.add("curvature.slices", slices, "loss slices: filter-normalised random directions, top eigenvector, or both",
               slice_names);
  bindings.add("curvature.slice_points", slice_points, "grid points per slice axis", Recorded::kNo);
  bindings.add("curvature.slice_radius", slice_radius, "slice extent", Recorded::kNo);
  bindings.add("curvature.slice_seed", slice_seed, "seed of the random slice directions (keep it equal across a study)");
  static const core::NamedValues<TrackMode> track_names = {{TrackMode::kFull, "full"},
                                                           {TrackMode::kCertified, "certified"}};
  bindings.add("curvature.track", track,
               "lambda_max at the probe points: full (warm-started solve on the probe copy) or certified (a few "
               "Lanczos steps on the training step's own graph, accepted by a true-residual certificate, else full)",
               track_names);
  bindings.add("curvature.track_tol", track_tol, "certificate of certified tracking: residual <= tol |lambda|");
  bindings.add("curvature.track_steps", track_steps, "Lanczos steps (HVPs) of one certified attempt");
  static const core::NamedValues<TrackStart> track_start_names = {{TrackStart::kPrevious, "previous"},
                                                                  {TrackStart::kExtrapolated, "extrapolated"}};
  bindings.add("curvature.track_start", track_start,
               "start of a certified attempt: the previous Ritz vector, or extrapolated along the line through the "
               "last two (full-batch training; across minibatches it does not help)",
               track_start_names);
  core::OptionBinding batch{"curvature.batch_sharpness", "text",
                            "lambda_max of the step's own minibatch loss every K steps, on the step's graph: every:K or none",
                            {}, {}, {}, {}, {}};
  batch.parse = [this](const std::string& text) { batch_sharpness_every = parse_batch_sharpness(text); };
  batch.format = [this] {
    return batch_sharpness_every == 0 ? std::string("none") : "every:" + std::to_string(batch_sharpness_every);
  };
  batch.record = [this](nlohmann::json& out) { out["batch_sharpness_every"] = batch_sharpness_every; };
  bindings.add_custom(std::move(batch));
  bindings.add("curvature.batch_sharpness_tol", batch_sharpness_tol,
               "batch sharpness certificate and fallback solve: residual <= tol |lambda|");
}

std::int64_t parse_batch_sharpness(const std::string& text) {
  if (text == "none") return 0;
  if (text.rfind("every:", 0) == 0) {
    std::int64_t every = core::parse_int(text.substr(6), "curvature.batch_sharpness");
    if (every >= 1) return every;
  }
  throw core::UsageError("curvature.batch_sharpness '" + text + "' must be every:K with K >= 1, or none");
}

void ProbeOptions::check() const {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw core::UsageError(message);
  };
  const bool eigen_slices = slices == SliceSet::kEigen || slices == SliceSet::kBoth;
  require(top_k >= 0 && bottom_k >= 0 && block_top_k >= 0,
          "curvature.top_k, curvature.bottom_k and curvature.block_top_k must be >= 0");
  require(trace == linalg::TraceMethod::kNone || trace_samples >= 3, "curvature.trace_samples must be >= 3");
  require(esd_steps == 0 || (esd_steps >= 2 && esd_runs >= 1), "curvature.esd needs steps >= 2 and runs >= 1");
  require(tol > 0 && tol < 1, "curvature.tol must be in (0, 1)");
  require(max_hvps >= 0, "curvature.max_hvps must be >= 0 (0: unlimited)");
  require(batch_size > 0, "curvature.batch_size must be >= 1");
  require(slices == SliceSet::kNone || slice_points >= 3, "curvature.slice_points must be >= 3");
  require(!eigen_slices || top_k >= 1, "curvature.slices along eigenvectors needs curvature.top_k >= 1");
  require(track_tol > 0 && track_tol < 1, "curvature.track_tol must be in (0, 1)");
  require(track_steps >= 1, "curvature.track_steps must be >= 1");
  require(batch_sharpness_tol > 0 && batch_sharpness_tol < 1, "curvature.batch_sharpness_tol must be in (0, 1)");
  require(track == TrackMode::kFull ||
              (top_k == 1 && bottom_k == 0 && trace == linalg::TraceMethod::kNone && esd_steps == 0 &&
               blocks == BlockMode::kNone && !test_hessian && sharpness == SharpnessSet::kNone &&
               slices == SliceSet::kNone && matrix == OperatorKind::kHessian),
          "curvature.track = certified measures lambda_max of the Hessian only: it needs top_k = 1, bottom_k = 0, "
          "trace = none, esd = none, blocks = none, test_hessian = false, sharpness = none, slices = none, "
          "matrix = hessian");
}

nlohmann::json ProbeOptions::to_json() const {
  ProbeOptions copy = *this;
  core::OptionBindings bindings;
  copy.bind(bindings);
  return bindings.settings("curvature");
}

runs::WeightNorms weight_norms(models::Network& network) {
  c10::NoGradGuard no_grad;
  auto parameters = network.parameters();
  auto names = network.parameter_names();
  runs::WeightNorms norms;
  double total = 0;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    double squared = parameters[i].to(at::kDouble).pow(2).sum().item<double>();
    total += squared;
    norms.per_parameter[names[i]] = std::sqrt(squared);
  }
  norms.global = std::sqrt(total);
  return norms;
}

CurvatureProbe::CurvatureProbe(ProbeOptions options, data::Dataset train_probe, data::Dataset test_probe)
    : options_(std::move(options)), train_probe_(std::move(train_probe)), test_probe_(std::move(test_probe)) {
  options_.check();
}

runs::CurvatureRecord CurvatureProbe::measure(models::Network& network, const StepContext& context) {
  auto start = Clock::now();
  auto tensor_options = network.parameters().front().options();
  at::Tensor inputs = train_probe_.images.to(tensor_options);
  const bool batch_norm = network.has_batch_norm();
  const bool eval_mode = options_.bn_mode == BatchNormMode::kEval;
  if (batch_norm && eval_mode) {
    models::reestimate_batch_norm(network, inputs, options_.batch_size);
  }
  network.set_training(batch_norm && !eval_mode);

  runs::CurvatureRecord record = record_at(context, context.label);
  record.settings =
      measured_with(options_.to_json(), train_probe_.images.size(0), tensor_options.dtype() == at::kDouble);
  record.settings["batch_norm"] = batch_norm ? batch_norm_mode_names().name(options_.bn_mode) : "none in model";
  const OperatorOptions operator_choice = operator_options(network);
  const models::Loss loss = operator_choice.loss;
  record.train_probe = loss_and_accuracy(network, train_probe_, options_.batch_size, loss);
  if (test_probe_.images.defined() && test_probe_.images.size(0) > 0) {
    record.test_probe = loss_and_accuracy(network, test_probe_, options_.batch_size, loss);
  }
  record.weight_norm = weight_norms(network);

  CurvatureOperator op = operator_of(network, train_probe_);
  record.settings["operator"] =
      operator_settings(operator_choice, parse_parameter_globs(options_.params), options_.blocks, op.rows());
  record.gradient_norm = op.gradient().norm();
  const std::uint64_t seed = options_.seed + static_cast<std::uint64_t>(context.step);

  SpectrumRequest train = request(seed);
  train.record_warm_start = true;
  if (options_.warm_start && !previous_top_.empty() && previous_top_.front().size() == op.rows()) {
    train.warm_top = previous_top_;
  }
  std::vector<ParameterBlock> blocks;
  if (options_.blocks != BlockMode::kNone) {
    blocks = network_blocks(network, operator_choice.parameters, options_.blocks);
    train.trace_blocks = coordinate_blocks(network, operator_choice.parameters, blocks);
  }
  SpectrumVectors vectors;
  SpectrumMeasures spectrum = measure_spectrum(op, train, {}, &vectors);
  const linalg::EigenResult& top = vectors.top;
  record.top = std::move(spectrum.top);
  record.bottom = std::move(spectrum.bottom);
  record.trace = std::move(spectrum.trace);
  record.esd = std::move(spectrum.esd);
  if (options_.top_k > 0) {
    record.subspace = subspace_record(top.vectors, op.gradient(), previous_top_);
    previous_top_.clear();
    for (Eigen::Index i = 0; i < top.vectors.cols(); ++i) previous_top_.push_back(top.vectors.col(i));
    if (top.vectors.cols() > 0 && top.vectors.col(0).allFinite() && top.vectors.col(0).norm() > 0) {
      top_history_.remember(context.step, top.vectors.col(0));
    }
    double lambda_max = top.values.size() > 0 ? top.values[0] : NAN;
    record.stability = stability_record(context, lambda_max);
  }
  if (options_.blocks != BlockMode::kNone) {
    record.blocks = measure_blocks(network, train_probe_.images, train_probe_.labels, operator_choice, blocks, train,
                                   spectrum.block_traces);
  }
  if (options_.test_hessian && test_probe_.images.defined() && test_probe_.images.size(0) > 0) {
    record.test_hessian = measure_test_hessian(network, seed);
  }
  if (options_.sharpness != SharpnessSet::kNone) measure_sharpnesses(network, record);
  if (options_.slices != SliceSet::kNone) measure_slices(network, record);
  record.hvps = op.products();
  record.seconds = seconds_since(start);
  network.set_training(false);
  return record;
}

SpectrumRequest CurvatureProbe::request(std::uint64_t seed) const {
  SpectrumRequest request;
  request.top_k = options_.top_k;
  request.block_top_k = options_.block_top_k;
  request.bottom_k = options_.bottom_k;
  request.trace = options_.trace;
  request.trace_samples = options_.trace_samples;
  request.esd_steps = options_.esd_steps;
  request.esd_runs = options_.esd_runs;
  request.tol = options_.tol;
  request.max_hvps = options_.max_hvps;
  request.seed = seed;
  return request;
}

void CurvatureProbe::split_products(int rank, int ranks, std::function<void(at::Tensor&)> sum) {
  if (ranks > 1 && (options_.track == TrackMode::kCertified || options_.batch_sharpness_every > 0)) {
    throw core::UsageError("curvature.track = certified and curvature.batch_sharpness measure on the training step's "
                           "own graph, which needs one rank (this run has " + std::to_string(ranks) + ")");
  }
  rank_ = rank;
  ranks_ = ranks;
  sum_over_ranks_ = ranks > 1 ? std::move(sum) : nullptr;
}

OperatorOptions CurvatureProbe::operator_options(models::Network& network) const {
  OperatorOptions options;
  options.kind = options_.matrix;
  options.loss = options_.resolve_loss(models::Loss::kCrossEntropy);
  options.parameters = select_parameters(network.parameter_names(), parse_parameter_globs(options_.params),
                                         "curvature.params");
  if (options.parameters.size() == network.parameters().size()) options.parameters.clear();
  options.batch_size = options_.batch_size;
  return options;
}

CurvatureOperator CurvatureProbe::operator_of(models::Network& network, const data::Dataset& set) const {
  OperatorOptions hvp = operator_options(network);
  const std::int64_t n = set.images.size(0);
  if (!sum_over_ranks_ || n < ranks_) return CurvatureOperator(network, set.images, set.labels, hvp);
  hvp.total_examples = n;
  hvp.sum_over_ranks = sum_over_ranks_;
  core::Share share = core::share_of(n, rank_, ranks_);
  return CurvatureOperator(network, set.images.slice(0, share.begin, share.end), set.labels.slice(0, share.begin, share.end),
                     hvp);
}

runs::TestHessianRecord CurvatureProbe::measure_test_hessian(models::Network& network, std::uint64_t seed) {
  CurvatureOperator op = operator_of(network, test_probe_);
  SpectrumRequest test = request(seed + 3);  // eigenvalues from seed + 3, the trace from seed + 4
  test.top_k = std::max(1, options_.top_k);
  test.bottom_k = 0;
  test.esd_steps = 0;
  runs::TestHessianRecord out;
  out.examples = test_probe_.images.size(0);
  out.gradient_norm = op.gradient().norm();
  SpectrumMeasures measures = measure_spectrum(op, test);
  out.top = std::move(measures.top);
  out.trace = std::move(measures.trace);
  out.hvps = op.products();
  return out;
}

void CurvatureProbe::measure_sharpnesses(models::Network& network, runs::CurvatureRecord& record) {
  record.has_sharpness = true;
  for (SharpnessSet kind : {SharpnessSet::kAdaptive, SharpnessSet::kEpsilon}) {
    if (options_.sharpness != kind && options_.sharpness != SharpnessSet::kBoth) continue;
    SharpnessOptions sharpness;
    sharpness.kind = kind == SharpnessSet::kAdaptive ? "adaptive" : "epsilon";
    sharpness.rho = options_.rho;
    sharpness.eta = options_.eta;
    sharpness.epsilon = options_.epsilon;
    sharpness.steps = options_.sharpness_steps;
    sharpness.seed = options_.seed;
    sharpness.batch_size = options_.batch_size;
    sharpness.loss = options_.resolve_loss(models::Loss::kCrossEntropy);
    SharpnessResult result = measure_sharpness(network, train_probe_.images, train_probe_.labels, sharpness);
    // The result with every option it was measured with.
    (kind == SharpnessSet::kAdaptive ? record.adaptive_sharpness : record.epsilon_sharpness) = result.record();
  }
}

void CurvatureProbe::measure_slices(models::Network& network, runs::CurvatureRecord& record) {
  SliceOptions slice;
  slice.points = options_.slice_points;
  slice.radius = options_.slice_radius;
  slice.seed = options_.slice_seed;
  slice.batch_size = options_.batch_size;
  slice.loss = options_.resolve_loss(models::Loss::kCrossEntropy);
  record.has_slices = true;
  const at::Tensor& inputs = train_probe_.images;
  const at::Tensor& labels = train_probe_.labels;
  if (options_.slices == SliceSet::kRandom || options_.slices == SliceSet::kBoth) {
    auto first = filter_normalised_direction(network, options_.slice_seed);
    auto second = filter_normalised_direction(network, options_.slice_seed + 1);
    record.random_1d = slice_record(loss_slice_1d(network, inputs, labels, first, slice,
                                                  "filter-normalised seed " + std::to_string(options_.slice_seed)));
    record.random_2d = slice_record(loss_slice_2d(network, inputs, labels, first, second, slice));
  }
  if ((options_.slices == SliceSet::kEigen || options_.slices == SliceSet::kBoth) && !previous_top_.empty()) {
    record.eigen_1d = slice_record(loss_slice_1d(network, inputs, labels, unflatten_like(previous_top_.front(), network),
                                                 slice, "top Hessian eigenvector (unit norm)"));
  }
}

namespace {

at::Tensor rows_tensor(const std::vector<Eigen::VectorXd>& rows) {
  if (rows.empty()) return at::empty({0, 0}, at::kDouble);
  at::Tensor vectors = at::empty({static_cast<std::int64_t>(rows.size()), rows.front().size()}, at::kDouble);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::copy(rows[i].data(), rows[i].data() + rows[i].size(),
              vectors.data_ptr<double>() + i * static_cast<std::size_t>(rows[i].size()));
  }
  return vectors;
}

std::vector<Eigen::VectorXd> tensor_rows(const at::Tensor& tensor) {
  std::vector<Eigen::VectorXd> rows;
  if (tensor.dim() != 2) return rows;
  at::Tensor vectors = tensor.to(at::kDouble).contiguous();
  for (std::int64_t i = 0; i < vectors.size(0); ++i) {
    rows.push_back(Eigen::Map<const Eigen::VectorXd>(vectors[i].data_ptr<double>(), vectors.size(1)));
  }
  return rows;
}

}  // namespace

std::vector<at::Tensor> CurvatureProbe::state() const {
  if (previous_top_.empty() && !previous_batch_top_ && top_history_.empty()) return {};
  std::vector<at::Tensor> out = {rows_tensor(previous_top_)};
  out.push_back(previous_batch_top_ ? rows_tensor({*previous_batch_top_}) : rows_tensor({}));
  out.push_back(rows_tensor(top_history_.vectors()));
  out.push_back(at::tensor(at::ArrayRef<std::int64_t>(top_history_.steps()), at::kLong));
  return out;
}

void CurvatureProbe::load_state(const std::vector<at::Tensor>& state) {
  previous_top_.clear();
  previous_batch_top_.reset();
  if (state.empty()) return;
  previous_top_ = tensor_rows(state.front());
  if (state.size() >= 2) {
    std::vector<Eigen::VectorXd> batch = tensor_rows(state[1]);
    if (!batch.empty()) previous_batch_top_ = batch.front();
  }
  top_history_.clear();
  if (state.size() >= 4) {  // checkpoints written before the history have two entries at most
    at::Tensor steps = state[3].to(at::kLong).contiguous();
    top_history_.restore(std::vector<std::int64_t>(steps.data_ptr<std::int64_t>(),
                                                   steps.data_ptr<std::int64_t>() + steps.numel()),
                         tensor_rows(state[2]));
  }
}

std::optional<runs::CurvatureRecord> CurvatureProbe::track_on_step(const StepGraphOperator& op,
                                                                   models::Network& network,
                                                                   const StepContext& context,
                                                                   const runs::SetLoss& batch,
                                                                   runs::CertificateRecord& certificate) {
  auto start = Clock::now();
  const bool warm = !previous_top_.empty() && previous_top_.front().size() == op.rows();
  // Without a previous Ritz vector (the first probe) the attempt starts from a seeded random
  // vector with a cold solve's step budget.
  const TrackSettings settings{options_.track_tol, warm ? options_.track_steps : std::max(options_.track_steps, kColdSteps)};
  Eigen::VectorXd start_vector;
  std::string start_text = "a seeded random vector (no previous Ritz vector)";
  const bool extrapolate = warm && options_.track_start == TrackStart::kExtrapolated &&
                           top_history_.dimension() == op.rows() && top_history_.extrapolates_to(context.step);
  if (extrapolate) {
    start_vector = top_history_.start_for(context.step);
    start_text = "extrapolated from the Ritz vectors of steps " + std::to_string(top_history_.steps()[0]) + " and " +
                 std::to_string(top_history_.steps()[1]);
  } else if (warm) {
    start_vector = previous_top_.front();
    start_text = "the previous Ritz vector";
  } else {
    std::mt19937_64 rng(options_.seed + static_cast<std::uint64_t>(context.step));
    start_vector = linalg::gaussian(op.rows(), rng);
  }
  TrackAttempt attempt = certified_attempt(op, start_vector, warm, settings);
  if (!attempt.certificate.passed && warm) {
    // Still on the step's graph: Lanczos again from the attempt's Ritz vector, with the cold budget.
    const std::int64_t spent = attempt.certificate.hvps;
    attempt = certified_attempt(op, attempt.ritz.vector, true, {options_.track_tol, kColdSteps});
    attempt.certificate.hvps += spent;
    attempt.ritz.steps += static_cast<int>(spent);
  }
  attempt.certificate.start = start_text;
  certificate = attempt.certificate;
  if (!attempt.certificate.passed) {
    certificate.fell_back = true;
    return std::nullopt;
  }
  runs::CurvatureRecord record = record_at(context, context.label);
  record.settings = measured_with(options_.to_json(), batch.examples, op.dtype() == at::kDouble);
  record.settings["graph"] = "the training step's own graph (the probe set is the step's batch)";
  record.settings["batch_norm"] = "none in model";
  record.train_probe = batch;
  record.weight_norm = weight_norms(network);
  record.gradient_norm = op.gradient().norm();
  record.top = certified_eigen_record(attempt, seconds_since(start));
  Eigen::MatrixXd vectors = attempt.ritz.vector;
  record.subspace = subspace_record(vectors, op.gradient(), previous_top_);
  previous_top_ = {attempt.ritz.vector};
  top_history_.remember(context.step, linalg::power_refined(attempt.ritz));  // the better prediction, free
  record.stability = stability_record(context, attempt.ritz.value);
  record.certificate = certificate;
  record.hvps = op.products();
  record.seconds = seconds_since(start);
  return record;
}

runs::CurvatureRecord CurvatureProbe::batch_sharpness(const StepGraphOperator& op, const StepContext& context,
                                                      double batch_loss, std::int64_t examples) {
  const TrackSettings settings{options_.batch_sharpness_tol, options_.track_steps};
  // Its own seed stream: seed + step + 5 (probes use seed + step + 0..4).
  BatchSharpness found = curvature::batch_sharpness(op, previous_batch_top_, settings, options_.max_hvps,
                                                    options_.seed + static_cast<std::uint64_t>(context.step) + 5);
  previous_batch_top_ = found.vector;
  runs::CurvatureRecord record = record_at(context, "batch_sharpness");
  found.record.examples = examples;
  found.record.batch_loss = batch_loss;
  found.record.lr_times_lambda_max = context.lr * found.record.lambda_max;
  record.hvps = found.record.hvps;
  record.seconds = found.record.seconds;
  record.batch_sharpness = std::move(found.record);
  return record;
}

}  // namespace curvtrack::curvature
