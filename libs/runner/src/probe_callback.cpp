#include "curvtrack/runner/probe_callback.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <chrono>
#include <algorithm>
#include <cmath>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/data/probe.hpp"
#include "curvtrack/runner/probe_setup.hpp"

namespace curvtrack::runner {
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

RunProbe::RunProbe(const PreparedRun& prepared, const RunResources& resources) : resources_(resources) {
  const runner::TrackingOptions& tracking = prepared.options.curvature;
  std::vector<std::int64_t> indices;
  data::Dataset train_probe = select_probe(tracking.probe, resources, &indices);
  data::Dataset test_probe;
  if (tracking.test_probe != "none") test_probe = select_probe(tracking.test_probe, resources, nullptr);
  curvature::ProbeOptions measures = tracking.measures;
  measures.loss = measures.resolve_loss(prepared.options.train.loop.loss);
  probe_ = std::make_unique<curvature::CurvatureProbe>(measures, std::move(train_probe), std::move(test_probe));
  points_ = curvature::probe_points(tracking.at, *resources.schedule);
  probe_network_ = models::make_network(prepared.options.model.spec, 0);
  // A glob that matches no parameter is refused before training, not at the first probe.
  curvature::select_parameters(probe_network_->parameter_names(), curvature::parse_parameter_globs(measures.params),
                               "curvature.params");
  probe_network_->to(resources.network->parameters().front().device(),
                     tracking.dtype == runner::Precision::kFloat64 ? at::kDouble : at::kFloat);

  track_ = measures.track;
  batch_sharpness_every_ = measures.batch_sharpness_every;
  if (track_ == curvature::TrackMode::kCertified) {
    if (tracking.test_probe != "none") {
      throw core::UsageError("curvature.track = certified needs curvature.test_probe = none (it measures lambda_max only)");
    }
    check_step_graph_tracking(prepared);
  }
  listing_ = "# curvature.probe = " + tracking.probe + "\n";
  for (std::int64_t index : indices) listing_ += std::to_string(index) + "\n";
}

void RunProbe::check_step_graph_tracking(const PreparedRun& prepared) const {
  const data::ProbeSpec spec = data::parse_probe_spec(prepared.options.curvature.probe);
  const std::int64_t n = resources_.train.images.size(0);
  std::vector<std::int64_t> indices = data::probe_indices(spec, n);
  std::sort(indices.begin(), indices.end());
  bool every_example = spec.split == data::Split::kTrain && static_cast<std::int64_t>(indices.size()) == n;
  for (std::int64_t i = 0; every_example && i < n; ++i) every_example = indices[static_cast<std::size_t>(i)] == i;
  const auto& loop = resources_.trainer;
  const bool full_batch = loop.batches.batch_size >= n;
  const bool augmented = loop.augmentation.random_crop || loop.augmentation.horizontal_flip;
  if (!every_example || !full_batch || augmented || resources_.network->has_batch_norm()) {
    throw core::UsageError(
        "curvature.track = certified measures on the training step's own graph: it needs full-batch training "
        "(data.batch_size >= the " + std::to_string(n) + " training examples), curvature.probe covering every "
        "training example (e.g. train:all), no augmentation and no BatchNorm");
  }
}

curvature::StepContext RunProbe::context_at(std::int64_t step, const std::string& label) const {
  const auto& schedule = *resources_.schedule;
  schedules::ScheduleValue value = schedule.at(std::min(step, schedule.total_steps() - 1));
  curvature::StepContext context;
  context.step = step;
  context.label = label;
  context.lr = value.lr;
  context.momentum = value.momentum.value_or(0.0);
  context.stability_limit = resources_.optimizer->stability_limit(context.momentum);
  context.optimizer = resources_.optimizer->describe();
  return context;
}

bool RunProbe::on_step_graph(std::int64_t step) const {
  return track_ == curvature::TrackMode::kCertified && step < resources_.schedule->total_steps();
}

bool RunProbe::batch_sharpness_due(std::int64_t step) const {
  return batch_sharpness_every_ > 0 && step % batch_sharpness_every_ == 0 && step < resources_.schedule->total_steps();
}

runs::CurvatureRecord RunProbe::measure_on_step(std::int64_t step, const std::string& label, models::Network& network,
                                                const curvature::StepGraphOperator& op, const runs::SetLoss& batch) {
  runs::CertificateRecord certificate;
  std::optional<runs::CurvatureRecord> tracked =
      probe_->track_on_step(op, network, context_at(step, label), batch, certificate);
  if (tracked) return *tracked;
  runs::CurvatureRecord full = measure(step, label, network);
  full.certificate = certificate;
  full.hvps = full.hvps.value_or(0) + certificate.hvps;
  return full;
}

runs::CurvatureRecord RunProbe::batch_sharpness(std::int64_t step, const curvature::StepGraphOperator& op,
                                                double batch_loss, std::int64_t examples) {
  return probe_->batch_sharpness(op, context_at(step, "batch_sharpness"), batch_loss, examples);
}

void RunProbe::write_listing(const runs::RunDirectory& run) const { core::write_file_atomically(run.probe(), listing_); }

runs::CurvatureRecord RunProbe::measure(std::int64_t step, const std::string& label, models::Network& network) {
  copy_weights(network, *probe_network_);
  return probe_->measure(*probe_network_, context_at(step, label));
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
  runs::CurvatureRecord record;
  const bool finite = finite_weights(network);
  if (finite && probe_->on_step_graph(step)) {
    pending_label_ = point->label;  // measured by step_gradient, on the step's own graph
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return;
  }
  if (finite) {
    record = probe_->measure(step, point->label, network);
  } else {
    record.step = step;
    record.label = point->label;
    record.skipped = "weights are not finite";
  }
  log_.append(record.to_json());
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool ProbeCallback::wants_step_graph(std::int64_t step) const {
  return pending_label_.has_value() || probe_->batch_sharpness_due(step);
}

std::vector<at::Tensor> ProbeCallback::step_gradient(std::int64_t step, models::Network& network, const at::Tensor& loss,
                                                     double accuracy, std::int64_t examples) {
  // The backward pass on a kept graph gives this step its gradient: training time. For the
  // 784-64-64-10 MLP it costs what a plain backward pass does (PyTorch 1.13, one thread: 6.23 ms
  // with create_graph against 6.25 ms without, forward included); docs/methods.md, "Certified tracking".
  auto graph_start = std::chrono::steady_clock::now();
  curvature::StepGraphOperator op(network.parameters(), loss);
  auto start = std::chrono::steady_clock::now();
  step_graph_seconds_ += std::chrono::duration<double>(start - graph_start).count();
  const double batch_loss = loss.item<double>();
  if (pending_label_) {
    runs::SetLoss batch{batch_loss, accuracy, examples};
    log_.append(probe_->measure_on_step(step, *pending_label_, network, op, batch).to_json());
    pending_label_.reset();
  }
  if (probe_->batch_sharpness_due(step)) log_.append(probe_->batch_sharpness(step, op, batch_loss, examples).to_json());
  std::vector<at::Tensor> gradient = op.detached_gradient();
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return gradient;
}

void ProbeCallback::on_end(std::int64_t step, runs::RunStatus status) {
  if (status != runs::RunStatus::kDiverged) return;
  const auto& points = probe_->points();
  std::int64_t skipped = std::count_if(points.begin(), points.end(), [&](const auto& p) { return p.step >= step; });
  runs::CurvatureRecord marker;
  marker.step = step;
  marker.label = "stopped";
  marker.probing_stopped = "the run diverged at step " + std::to_string(step - 1) + "; " + std::to_string(skipped) +
                           " later probe points were not measured";
  log_.append(marker.to_json());
}

}  // namespace curvtrack::runner
