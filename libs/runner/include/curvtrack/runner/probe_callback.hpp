#pragma once
// Curvature probes during training: a training callback that, at the configured points,
// copies the network into a probe copy (probe dtype), measures it and appends the record to
// curvature.jsonl. Also used offline over saved checkpoints.

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "curvtrack/core/config.hpp"
#include "curvtrack/curvature/probe.hpp"
#include "curvtrack/curvature/probe_points.hpp"
#include "curvtrack/runs/json_log.hpp"
#include "curvtrack/train/trainer.hpp"
#include "curvtrack/runner/prepared_run.hpp"

namespace curvtrack::runner {

/// The probes a run config asks for: probe sets, options, points and a probe copy of the network.
class RunProbe {
 public:
  /// Reads and checks [curvature] and selects the probe sets; writes nothing.
  RunProbe(const PreparedRun& prepared, const RunResources& resources);
  /// Writes probe.txt (the probe-set indices) into the run directory.
  void write_listing(const runs::RunDirectory& run) const;
  /// Measures `network` as it is at `step` and returns the record.
  runs::CurvatureRecord measure(std::int64_t step, const std::string& label, models::Network& network);
  /// Measures on update `step`'s own graph `op` (curvature.track = certified): a certified
  /// attempt, else the full probe of `network`, with the certificate in the record either way.
  runs::CurvatureRecord measure_on_step(std::int64_t step, const std::string& label, models::Network& network,
                                        const curvature::StepGraphOperator& op, const runs::SetLoss& batch);
  /// Batch sharpness of update `step` on its graph `op`.
  runs::CurvatureRecord batch_sharpness(std::int64_t step, const curvature::StepGraphOperator& op, double batch_loss,
                                        std::int64_t examples);
  /// Whether the probe point at `step` is measured on the training step's graph.
  bool on_step_graph(std::int64_t step) const;
  /// Whether batch sharpness is measured at update `step`.
  bool batch_sharpness_due(std::int64_t step) const;
  /// The configured probe points.
  const std::vector<curvature::ProbePoint>& points() const { return points_; }
  /// Warm-start state, for checkpoints.
  curvature::CurvatureProbe& probe() { return *probe_; }
  const curvature::CurvatureProbe& probe() const { return *probe_; }

 private:
  curvature::StepContext context_at(std::int64_t step, const std::string& label) const;
  // Throws core::UsageError unless the probe set is every training example, each step's batch.
  void check_step_graph_tracking(const PreparedRun& prepared) const;

  const RunResources& resources_;
  std::unique_ptr<curvature::CurvatureProbe> probe_;
  curvature::TrackMode track_ = curvature::TrackMode::kFull;
  std::int64_t batch_sharpness_every_ = 0;
  std::unique_ptr<models::Network> probe_network_;  // a copy in the probe dtype
  std::vector<curvature::ProbePoint> points_;
  std::string listing_;
};

/// Measures the network at the probe points during training, appending to curvature.jsonl.
class ProbeCallback : public train::Callback {
 public:
  /// Writes probe.txt; `resume_step` cuts curvature.jsonl back to the checkpoint being resumed.
  ProbeCallback(std::unique_ptr<RunProbe> probe, const runs::RunDirectory& run, std::optional<std::int64_t> resume_step);
  void before_step(std::int64_t step, models::Network& network, const schedules::ScheduleValue& value) override;
  void on_end(std::int64_t step, runs::RunStatus status) override;
  bool wants_step_graph(std::int64_t step) const override;
  std::vector<at::Tensor> step_gradient(std::int64_t step, models::Network& network, const at::Tensor& loss,
                                        double accuracy, std::int64_t examples) override;
  double seconds() const override { return seconds_; }
  /// The probed steps' backward passes on their kept graphs: training time, not in seconds().
  double step_graph_seconds() const { return step_graph_seconds_; }
  std::vector<at::Tensor> state() const override { return probe_->probe().state(); }
  void load_state(const std::vector<at::Tensor>& state) override { probe_->probe().load_state(state); }

 private:
  std::unique_ptr<RunProbe> probe_;
  runs::JsonLog log_;
  double seconds_ = 0;
  double step_graph_seconds_ = 0;
  std::optional<std::string> pending_label_;  // the probe point of the coming step, measured on its graph
};


}  // namespace curvtrack::runner
