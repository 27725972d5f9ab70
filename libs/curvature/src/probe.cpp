#include "curvtrack/curvature/probe.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <chrono>
#include <cmath>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/shares.hpp"
#include "curvtrack/curvature/hvp_operator.hpp"
#include "curvtrack/curvature/loss_slices.hpp"
#include "curvtrack/curvature/sharpness.hpp"
#include "curvtrack/curvature/spectrum.hpp"
#include "curvtrack/linalg/eigen_solver.hpp"
#include "curvtrack/linalg/slq.hpp"
#include "curvtrack/linalg/trace.hpp"

namespace curvtrack::curvature {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Loss and accuracy of the network as it is on a dataset.
nlohmann::json loss_and_accuracy(models::Network& network, const data::Dataset& set, std::int64_t batch_size) {
  c10::NoGradGuard no_grad;
  auto options = network.parameters().front().options();
  double loss = 0, correct = 0;
  const std::int64_t n = set.images.size(0);
  for (std::int64_t begin = 0; begin < n; begin += batch_size) {
    at::Tensor inputs = set.images.slice(0, begin, begin + batch_size).to(options);
    at::Tensor labels = set.labels.slice(0, begin, begin + batch_size).to(options.device());
    at::Tensor logits = network.forward(inputs);
    loss += at::cross_entropy_loss(logits, labels, {}, at::Reduction::Sum).item<double>();
    correct += logits.argmax(1).eq(labels).sum().item<double>();
  }
  return {{"loss", loss / static_cast<double>(n)}, {"accuracy", correct / static_cast<double>(n)}, {"examples", n}};
}

}  // namespace

void ProbeOptions::check() const {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw core::UsageError(message);
  };
  require(top_k >= 0 && bottom_k >= 0, "curvature.top_k and curvature.bottom_k must be >= 0");
  require(trace == "hutchpp" || trace == "hutchinson" || trace == "none",
          "curvature.trace '" + trace + "' is not one of hutchpp, hutchinson, none");
  require(trace == "none" || trace_samples >= 3, "curvature.trace_samples must be >= 3");
  require(esd_steps == 0 || (esd_steps >= 2 && esd_runs >= 1), "curvature.esd needs steps >= 2 and runs >= 1");
  require(tol > 0 && tol < 1, "curvature.tol must be in (0, 1)");
  require(max_hvps >= 0, "curvature.max_hvps must be >= 0 (0: unlimited)");
  require(bn_mode == "eval" || bn_mode == "train", "curvature.bn_mode '" + bn_mode + "' is not one of eval, train");
  require(batch_size > 0, "curvature.batch_size must be >= 1");
  require(sharpness == "none" || sharpness == "adaptive" || sharpness == "epsilon" || sharpness == "both",
          "curvature.sharpness '" + sharpness + "' is not one of none, adaptive, epsilon, both");
  require(slices == "none" || slices == "random" || slices == "eigen" || slices == "both",
          "curvature.slices '" + slices + "' is not one of none, random, eigen, both");
  require(slices == "none" || slice_points >= 3, "curvature.slice_points must be >= 3");
  require(!(slices == "eigen" || slices == "both") || top_k >= 1, "curvature.slices along eigenvectors needs curvature.top_k >= 1");
}

nlohmann::json ProbeOptions::to_json() const {
  return {{"top_k", top_k},       {"bottom_k", bottom_k}, {"trace", trace},     {"trace_samples", trace_samples},
          {"esd_steps", esd_steps}, {"esd_runs", esd_runs}, {"tol", tol},       {"max_hvps", max_hvps},
          {"warm_start", warm_start}, {"bn_mode", bn_mode}, {"batch_size", batch_size}, {"seed", seed},
          {"sharpness", sharpness}, {"slices", slices}, {"slice_seed", slice_seed}, {"test_hessian", test_hessian}};
}

nlohmann::json weight_norms(models::Network& network) {
  c10::NoGradGuard no_grad;
  auto parameters = network.parameters();
  auto names = network.parameter_names();
  nlohmann::json per_parameter = nlohmann::json::object();
  double total = 0;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    double squared = parameters[i].to(at::kDouble).pow(2).sum().item<double>();
    total += squared;
    per_parameter[names[i]] = std::sqrt(squared);
  }
  return {{"global", std::sqrt(total)}, {"per_parameter", per_parameter}};
}

CurvatureProbe::CurvatureProbe(ProbeOptions options, data::Dataset train_probe, data::Dataset test_probe)
    : options_(std::move(options)), train_probe_(std::move(train_probe)), test_probe_(std::move(test_probe)) {
  options_.check();
}

nlohmann::json CurvatureProbe::measure(models::Network& network, const StepContext& context) {
  auto start = Clock::now();
  auto tensor_options = network.parameters().front().options();
  at::Tensor inputs = train_probe_.images.to(tensor_options);
  const bool batch_norm = network.has_batch_norm();
  if (batch_norm && options_.bn_mode == "eval") {
    models::reestimate_batch_norm(network, inputs, options_.batch_size);
  }
  network.set_training(batch_norm && options_.bn_mode == "train");

  nlohmann::json record = {{"step", context.step}, {"label", context.label}, {"lr", context.lr},
                           {"momentum", context.momentum}};
  record["settings"] = options_.to_json();
  record["settings"]["probe_examples"] = train_probe_.images.size(0);
  record["settings"]["dtype"] = tensor_options.dtype() == at::kDouble ? "float64" : "float32";
  record["settings"]["batch_norm"] = batch_norm ? options_.bn_mode : "none in model";
  record["settings"]["hessian"] = "mean cross-entropy over the probe set, no weight decay";
  record["train_probe"] = loss_and_accuracy(network, train_probe_, options_.batch_size);
  if (test_probe_.images.defined() && test_probe_.images.size(0) > 0) {
    record["test_probe"] = loss_and_accuracy(network, test_probe_, options_.batch_size);
  }
  record["weight_norm"] = weight_norms(network);

  HvpOperator op = hessian_of(network, train_probe_);
  record["gradient_norm"] = op.gradient().norm();
  const std::uint64_t seed = options_.seed + static_cast<std::uint64_t>(context.step);

  double scale = 0.0;  // |lambda_max| once known: near-zero bottom eigenvalues converge against it
  auto solve = [&](int k, linalg::Spectrum which, const std::vector<Eigen::VectorXd>& warm) {
    linalg::EigenOptions eigen;
    eigen.spectral_scale = which == linalg::Spectrum::kSmallest ? scale : 0.0;
    eigen.k = k;
    eigen.tol = options_.tol;
    eigen.max_products = options_.max_hvps;
    eigen.seed = seed;
    eigen.warm_start = warm;
    auto solve_start = Clock::now();
    linalg::EigenResult result = linalg::extreme_eigenpairs(op, which, eigen);
    nlohmann::json json = eigen_json(result, eigen, seconds_since(solve_start));
    json["warm_started"] = !warm.empty();
    return std::make_pair(result, json);
  };
  if (options_.top_k > 0) {
    bool usable = options_.warm_start && !previous_top_.empty() && previous_top_.front().size() == op.rows();
    auto [result, json] = solve(options_.top_k, linalg::Spectrum::kLargest,
                                usable ? previous_top_ : std::vector<Eigen::VectorXd>{});
    record["top"] = json;
    previous_top_.clear();
    for (Eigen::Index i = 0; i < result.vectors.cols(); ++i) previous_top_.push_back(result.vectors.col(i));
    double lambda_max = result.values.size() > 0 ? result.values[0] : NAN;
    if (std::isfinite(lambda_max)) scale = std::abs(lambda_max);
    double ratio = context.lr * lambda_max;
    record["stability"] = {{"lr_times_lambda_max", ratio},
                           {"limit", std::isnan(context.stability_limit) ? nlohmann::json(nullptr)
                                                                          : nlohmann::json(context.stability_limit)},
                           {"fraction_of_limit", std::isnan(context.stability_limit) ? nlohmann::json(nullptr)
                                                                                      : nlohmann::json(ratio / context.stability_limit)},
                           {"momentum", context.momentum},
                           {"optimizer", context.optimizer},
                           {"note", std::isnan(context.stability_limit)
                                        ? "adaptive optimizer: the limit applies to the preconditioned Hessian, not reported"
                                        : "limit 2(1+b) for heavy ball, (2+2b)/(1+2b) for Nesterov, b = momentum in force"}};
  }
  if (options_.bottom_k > 0) record["bottom"] = solve(options_.bottom_k, linalg::Spectrum::kSmallest, {}).second;
  if (options_.trace != "none") {
    auto trace_start = Clock::now();
    linalg::TraceEstimate estimate = options_.trace == "hutchpp" ? linalg::hutchpp(op, options_.trace_samples, seed + 1)
                                                                 : linalg::hutchinson(op, options_.trace_samples, seed + 1);
    record["trace"] = trace_json(estimate, seconds_since(trace_start));
  }
  if (options_.esd_steps > 0) {
    linalg::SlqOptions slq;
    slq.steps = options_.esd_steps;
    slq.runs = options_.esd_runs;
    slq.seed = seed + 2;
    auto esd_start = Clock::now();
    record["esd"] = density_json(linalg::slq(op, slq), slq, seconds_since(esd_start));
  }
  if (options_.test_hessian && test_probe_.images.defined() && test_probe_.images.size(0) > 0) {
    record["test_hessian"] = measure_test_hessian(network, seed);
  }
  if (options_.sharpness != "none") record["sharpness"] = measure_sharpnesses(network);
  if (options_.slices != "none") record["slices"] = measure_slices(network);
  record["hvps"] = op.products();
  record["seconds"] = seconds_since(start);
  network.set_training(false);
  return record;
}

void CurvatureProbe::split_products(int rank, int ranks, std::function<void(at::Tensor&)> sum) {
  rank_ = rank;
  ranks_ = ranks;
  sum_over_ranks_ = ranks > 1 ? std::move(sum) : nullptr;
}

HvpOperator CurvatureProbe::hessian_of(models::Network& network, const data::Dataset& set) const {
  HvpOptions hvp{options_.batch_size, true, 0, {}};
  const std::int64_t n = set.images.size(0);
  if (!sum_over_ranks_ || n < ranks_) return HvpOperator(network, set.images, set.labels, hvp);
  hvp.total_examples = n;
  hvp.sum_over_ranks = sum_over_ranks_;
  core::Share share = core::share_of(n, rank_, ranks_);
  return HvpOperator(network, set.images.slice(0, share.begin, share.end), set.labels.slice(0, share.begin, share.end),
                     hvp);
}

nlohmann::json CurvatureProbe::measure_test_hessian(models::Network& network, std::uint64_t seed) {
  HvpOperator op = hessian_of(network, test_probe_);
  linalg::EigenOptions eigen;
  eigen.k = std::max(1, options_.top_k);
  eigen.tol = options_.tol;
  eigen.max_products = options_.max_hvps;
  eigen.seed = seed + 3;
  auto start = Clock::now();
  nlohmann::json out = {{"examples", test_probe_.images.size(0)}, {"gradient_norm", op.gradient().norm()}};
  out["top"] = eigen_json(linalg::extreme_eigenpairs(op, linalg::Spectrum::kLargest, eigen), eigen, seconds_since(start));
  if (options_.trace != "none") {
    auto trace_start = Clock::now();
    linalg::TraceEstimate estimate = options_.trace == "hutchpp" ? linalg::hutchpp(op, options_.trace_samples, seed + 4)
                                                                 : linalg::hutchinson(op, options_.trace_samples, seed + 4);
    out["trace"] = trace_json(estimate, seconds_since(trace_start));
  }
  out["hvps"] = op.products();
  return out;
}

nlohmann::json CurvatureProbe::measure_sharpnesses(models::Network& network) {
  nlohmann::json out = nlohmann::json::object();
  for (const char* kind : {"adaptive", "epsilon"}) {
    if (options_.sharpness != kind && options_.sharpness != "both") continue;
    SharpnessOptions sharpness;
    sharpness.kind = kind;
    sharpness.rho = options_.rho;
    sharpness.eta = options_.eta;
    sharpness.epsilon = options_.epsilon;
    sharpness.steps = options_.sharpness_steps;
    sharpness.seed = options_.seed;
    sharpness.batch_size = options_.batch_size;
    SharpnessResult result = measure_sharpness(network, train_probe_.images, train_probe_.labels, sharpness);
    out[kind] = result.settings();  // the result with every option it was measured with
  }
  return out;
}

nlohmann::json CurvatureProbe::measure_slices(models::Network& network) {
  SliceOptions slice;
  slice.points = options_.slice_points;
  slice.radius = options_.slice_radius;
  slice.seed = options_.slice_seed;
  slice.batch_size = options_.batch_size;
  nlohmann::json out = nlohmann::json::object();
  const at::Tensor& inputs = train_probe_.images;
  const at::Tensor& labels = train_probe_.labels;
  if (options_.slices == "random" || options_.slices == "both") {
    auto first = filter_normalised_direction(network, options_.slice_seed);
    auto second = filter_normalised_direction(network, options_.slice_seed + 1);
    out["random_1d"] = slice_json(loss_slice_1d(network, inputs, labels, first, slice,
                                                "filter-normalised seed " + std::to_string(options_.slice_seed)));
    out["random_2d"] = slice_json(loss_slice_2d(network, inputs, labels, first, second, slice));
  }
  if ((options_.slices == "eigen" || options_.slices == "both") && !previous_top_.empty()) {
    out["eigen_1d"] = slice_json(loss_slice_1d(network, inputs, labels, unflatten_like(previous_top_.front(), network),
                                               slice, "top Hessian eigenvector (unit norm)"));
  }
  return out;
}

std::vector<at::Tensor> CurvatureProbe::state() const {
  if (previous_top_.empty()) return {};
  at::Tensor vectors = at::empty({static_cast<std::int64_t>(previous_top_.size()), previous_top_.front().size()}, at::kDouble);
  for (std::size_t i = 0; i < previous_top_.size(); ++i) {
    std::copy(previous_top_[i].data(), previous_top_[i].data() + previous_top_[i].size(),
              vectors.data_ptr<double>() + i * static_cast<std::size_t>(previous_top_[i].size()));
  }
  return {vectors};
}

void CurvatureProbe::load_state(const std::vector<at::Tensor>& state) {
  previous_top_.clear();
  if (state.empty()) return;
  at::Tensor vectors = state.front().to(at::kDouble).contiguous();
  for (std::int64_t i = 0; i < vectors.size(0); ++i) {
    previous_top_.push_back(Eigen::Map<const Eigen::VectorXd>(vectors[i].data_ptr<double>(), vectors.size(1)));
  }
}

}  // namespace curvtrack::curvature
