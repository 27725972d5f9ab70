#include "probe_callback.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <chrono>
#include <cmath>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/data/probe.hpp"
#include "probe_setup.hpp"

namespace curvtrack::tool {
namespace {

// The examples a probe spec selects from the run's training or test set; also returns the indices.
data::Dataset select_probe(const std::string& spec_text, const RunResources& resources,
                           std::vector<std::int64_t>* indices_out) {
  data::ProbeSpec spec = data::parse_probe_spec(spec_text);
  const data::Dataset& split = spec.split == data::Split::kTrain ? resources.train : resources.test;
  std::vector<std::int64_t> indices = data::probe_indices(spec, split.images.size(0));
  if (indices_out != nullptr) *indices_out = indices;
  return data::subset(split, indices);
}

void copy_weights(models::Network& from, models::Network& to) {
  c10::NoGradGuard no_grad;
  auto source = from.parameters(), target = to.parameters();
  for (std::size_t i = 0; i < source.size(); ++i) target[i].copy_(source[i]);
  auto source_buffers = from.buffers(), target_buffers = to.buffers();
  for (std::size_t i = 0; i < source_buffers.size(); ++i) target_buffers[i].copy_(source_buffers[i]);
}

bool finite_weights(models::Network& network) {
  c10::NoGradGuard no_grad;
  for (const auto& p : network.parameters()) {
    if (!p.isfinite().all().item<bool>()) return false;
  }
  return true;
}

}  // namespace

bool probing_enabled(const core::Config& config) { return !core::trim(config.get("curvature.at")).empty(); }

curvature::ProbeOptions probe_options(const core::Config& config) {
  curvature::ProbeOptions options;
  options.top_k = static_cast<int>(config.get_int("curvature.top_k"));
  options.bottom_k = static_cast<int>(config.get_int("curvature.bottom_k"));
  options.trace = config.get("curvature.trace");
  options.trace_samples = static_cast<int>(config.get_int("curvature.trace_samples"));
  std::string esd = config.get("curvature.esd");
  if (esd != "none") {
    auto fields = core::split(esd, 'x');
    if (fields.size() != 2) throw core::UsageError("curvature.esd '" + esd + "' is not STEPSxRUNS (e.g. 80x10) or none");
    options.esd_steps = static_cast<int>(core::parse_int(fields[0], "curvature.esd steps"));
    options.esd_runs = static_cast<int>(core::parse_int(fields[1], "curvature.esd runs"));
  }
  options.tol = config.get_double("curvature.tol");
  options.max_hvps = config.get_int("curvature.max_hvps");
  options.warm_start = config.get_bool("curvature.warm_start");
  options.bn_mode = config.get("curvature.bn_mode");
  options.batch_size = config.get_int("curvature.batch_size");
  options.seed = static_cast<std::uint64_t>(config.get_int("curvature.seed"));
  options.test_hessian = config.get_bool("curvature.test_hessian");
  options.sharpness = config.get("curvature.sharpness");
  options.rho = config.get_double("curvature.rho");
  options.eta = config.get_double("curvature.eta");
  options.epsilon = config.get_double("curvature.epsilon");
  options.sharpness_steps = static_cast<int>(config.get_int("curvature.sharpness_steps"));
  options.slices = config.get("curvature.slices");
  options.slice_points = static_cast<int>(config.get_int("curvature.slice_points"));
  options.slice_radius = config.get_double("curvature.slice_radius");
  options.slice_seed = static_cast<std::uint64_t>(config.get_int("curvature.slice_seed"));
  options.check();
  return options;
}

RunProbe::RunProbe(const PreparedRun& prepared, const RunResources& resources) : resources_(resources) {
  const core::Config& config = prepared.config;
  std::vector<std::int64_t> indices;
  data::Dataset train_probe = select_probe(config.get("curvature.probe"), resources, &indices);
  data::Dataset test_probe;
  if (config.get("curvature.test_probe") != "none") test_probe = select_probe(config.get("curvature.test_probe"), resources, nullptr);
  probe_ = std::make_unique<curvature::CurvatureProbe>(probe_options(config), std::move(train_probe), std::move(test_probe));
  points_ = curvature::probe_points(config.get("curvature.at"), *resources.schedule);
  probe_network_ = models::make_network(config.get("model.spec"), 0);
  probe_network_->to(resources.network->parameters().front().device(), parse_dtype(config.get("curvature.dtype")));

  listing_ = "# curvature.probe = " + config.get("curvature.probe") + "\n";
  for (std::int64_t index : indices) listing_ += std::to_string(index) + "\n";
}

void RunProbe::write_listing(const runs::RunDirectory& run) const { core::write_file_atomically(run.probe(), listing_); }

nlohmann::json RunProbe::measure(std::int64_t step, const std::string& label, models::Network& network) {
  copy_weights(network, *probe_network_);
  const auto& schedule = *resources_.schedule;
  schedules::ScheduleValue value = schedule.at(std::min(step, schedule.total_steps() - 1));
  curvature::StepContext context;
  context.step = step;
  context.label = label;
  context.lr = value.lr;
  context.momentum = value.momentum.value_or(0.0);
  context.stability_limit = resources_.optimizer->stability_limit(context.momentum);
  context.optimizer = resources_.optimizer->describe();
  return probe_->measure(*probe_network_, context);
}

ProbeCallback::ProbeCallback(std::unique_ptr<RunProbe> probe, const runs::RunDirectory& run,
                             std::optional<std::int64_t> resume_step)
    : probe_(std::move(probe)), log_(run.curvature(), resume_step) {
  probe_->write_listing(run);
}

void ProbeCallback::before_step(std::int64_t step, models::Network& network, const schedules::ScheduleValue&) {
  const auto& points = probe_->points();
  auto point = std::find_if(points.begin(), points.end(), [&](const auto& p) { return p.step == step; });
  if (point == points.end()) return;
  auto start = std::chrono::steady_clock::now();
  nlohmann::json record;
  if (finite_weights(network)) {
    record = probe_->measure(step, point->label, network);
  } else {
    record = {{"step", step}, {"label", point->label}, {"skipped", "weights are not finite"}};
  }
  log_.append(record);
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void ProbeCallback::on_end(std::int64_t step, const std::string& status) {
  if (status != runs::status::kDiverged) return;
  const auto& points = probe_->points();
  std::int64_t skipped = std::count_if(points.begin(), points.end(), [&](const auto& p) { return p.step >= step; });
  log_.append({{"step", step},
                {"label", "stopped"},
                {"probing_stopped", "the run diverged at step " + std::to_string(step - 1) + "; " +
                                        std::to_string(skipped) + " later probe points were not measured"}});
}

}  // namespace curvtrack::tool
