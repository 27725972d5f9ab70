#include "figure_set.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "curvtrack/report/comparison.hpp"

namespace curvtrack::report {
namespace {

using ProbeField = double ProbeMeasures::*;

Series probe_series(const std::vector<const LoadedRun*>& runs, const std::string& name, ProbeField field, int dash = 1,
                    bool seed_lines = true) {
  Series series;
  series.name = name;
  series.dash = dash;
  series.seed_lines = seed_lines;
  for (const LoadedRun* run : runs) {
    RunCurve curve{run->arm, run->seed, usable_for_comparison(*run), {}};
    for (const auto& probe : probe_trajectory(*run)) curve.points.emplace_back(probe.fraction, probe.*field);
    series.curves.push_back(std::move(curve));
  }
  return series;
}

// lambda_max of each recorded step's own minibatch (curvature.batch_sharpness); empty curves when none.
Series batch_sharpness_series(const std::vector<const LoadedRun*>& runs) {
  Series series;
  series.name = "batch sharpness";
  series.dash = 2;
  for (const LoadedRun* run : runs) {
    RunCurve curve{run->arm, run->seed, usable_for_comparison(*run), {}};
    for (const auto& record : run->curvature) {
      if (!record.batch_sharpness || run->total_steps <= 0) continue;
      curve.points.emplace_back(static_cast<double>(record.step) / static_cast<double>(run->total_steps),
                                record.batch_sharpness->lambda_max);
    }
    series.curves.push_back(std::move(curve));
  }
  return series;
}

bool has_points(const Series& series) {
  return std::any_of(series.curves.begin(), series.curves.end(), [](const RunCurve& c) { return !c.points.empty(); });
}

Series metrics_series(const std::vector<const LoadedRun*>& runs, const std::string& name, const char* column,
                      int dash = 1, bool y2 = false, bool seed_lines = true) {
  Series series;
  series.name = name;
  series.dash = dash;
  series.y2 = y2;
  series.seed_lines = seed_lines;
  for (const LoadedRun* run : runs) {
    RunCurve curve{run->arm, run->seed, usable_for_comparison(*run), {}};
    for (const auto& row : run->metrics) {
      auto step = row.find("step");
      auto value = row.find(column);
      if (step == row.end() || value == row.end() || run->total_steps <= 0) continue;
      curve.points.emplace_back(step->second / static_cast<double>(run->total_steps), value->second);
    }
    series.curves.push_back(std::move(curve));
  }
  return series;
}

bool all_positive_wide(const Figure& figure) {
  double low = INFINITY, high = 0;
  for (const auto& series : figure.series) {
    for (const auto& curve : series.curves) {
      for (const auto& point : curve.points) {
        if (!std::isfinite(point.second)) continue;
        if (!(point.second > 0)) return false;
        low = std::min(low, point.second);
        high = std::max(high, point.second);
      }
    }
  }
  return std::isfinite(low) && high / low > 30;
}

Figure new_figure(std::string name, std::string title, std::string caption, std::string x_label, std::string y_label,
                  const std::vector<std::string>& arms) {
  Figure figure;
  figure.name = std::move(name);
  figure.title = std::move(title);
  figure.caption = std::move(caption);
  figure.x_label = std::move(x_label);
  figure.y_label = std::move(y_label);
  figure.arms = arms;
  return figure;
}

Figure trajectory_figure(std::string name, std::string title, std::string caption, std::string y_label,
                         const std::vector<std::string>& arms, std::vector<Series> series) {
  Figure figure = new_figure(std::move(name), std::move(title), std::move(caption),
                             "fraction of training (step / total steps)", std::move(y_label), arms);
  figure.series = std::move(series);
  return figure;
}

// Equal steps for the ESD at the peak: each seed's runs at the step of the compared arm's
// "peak" probe (a constant schedule labels step 0 as its peak, which says nothing).
std::map<std::int64_t, std::int64_t> peak_steps(const std::vector<const LoadedRun*>& runs, const std::string& compared) {
  std::map<std::int64_t, std::int64_t> peak_step;
  for (int pass = 0; pass < 2; ++pass) {
    for (const LoadedRun* run : runs) {
      if ((pass == 0) != (run->arm == compared) || peak_step.count(run->seed) != 0U) continue;
      for (const auto& r : run->curvature) {
        if (r.label == "peak" && r.step > 0) peak_step[run->seed] = r.step;
      }
    }
  }
  return peak_step;
}

// The spectral density of each run at probe `label` ("peak": at the seed's step in `peak_step`).
Figure esd_figure(const std::vector<const LoadedRun*>& runs, const std::vector<std::string>& arms,
                  const std::string& compared, const std::string& label,
                  const std::map<std::int64_t, std::int64_t>& peak_step) {
  Figure f = new_figure(
      "esd_" + label, "Hessian spectral density at the " + std::string(label == "end" ? "end" : "LR peak"),
      label == "end" ? "Gaussian-broadened SLQ density at the end probe (labelled end, else the last), one line per run."
                     : "Gaussian-broadened SLQ density at the step of the " + compared +
                           " LR peak of the same seed (equal steps; a run not probed there: its own peak probe), "
                           "one line per run.",
      "eigenvalue", "density", arms);
  f.log_y = true;
  Series series;
  series.summary = false;
  for (const LoadedRun* run : runs) {
    const runs::DensityRecord* esd = nullptr;
    auto step = peak_step.find(run->seed);
    for (const auto& r : run->curvature) {
      bool wanted = label == "peak" && step != peak_step.end() ? r.step == step->second : r.label == label;
      if (wanted && r.esd) esd = &*r.esd;
    }
    if (esd == nullptr && label == "end" && !run->curvature.empty() && run->curvature.back().esd) {
      esd = &*run->curvature.back().esd;
    }
    if (esd == nullptr) continue;
    RunCurve curve{run->arm, run->seed, true, {}};
    for (std::size_t i = 0; i < std::min(esd->grid.size(), esd->density.size()); ++i) {
      // Null entries (non-finite values in the file) are left out of the curve.
      if (!std::isnan(esd->grid[i]) && !std::isnan(esd->density[i])) curve.points.emplace_back(esd->grid[i], esd->density[i]);
    }
    series.curves.push_back(std::move(curve));
  }
  // The broadened density spans hundreds of decades in its tails; show six below the peak.
  double peak = 0;
  for (const auto& curve : series.curves) {
    for (const auto& point : curve.points) {
      if (std::isfinite(point.second)) peak = std::max(peak, point.second);
    }
  }
  if (peak > 0) f.y_min = peak * 1e-6;
  f.series.push_back(std::move(series));
  return f;
}

Figure lrfind_figure(const std::vector<const LoadedRun*>& runs, const std::vector<std::string>& arms) {
  Figure f = new_figure("lrfind", "LR range test",
                        "Smoothed training loss against the learning rate in each run's LR range test (lrfind.csv).",
                        "learning rate", "training loss (smoothed)", arms);
  f.log_x = true;
  Series series;
  series.summary = false;
  for (const LoadedRun* run : runs) {
    RunCurve curve{run->arm, run->seed, true, {}};
    for (const auto& row : run->lrfind) {
      auto lr = row.find("lr");
      auto loss = row.find("smoothed");
      if (lr != row.end() && loss != row.end()) curve.points.emplace_back(lr->second, loss->second);
    }
    if (!curve.points.empty()) series.curves.push_back(std::move(curve));
  }
  f.series.push_back(std::move(series));
  return f;
}

}  // namespace

std::vector<Figure> build_figures(const std::vector<const LoadedRun*>& runs, const std::vector<std::string>& arms,
                                  const std::string& compared) {
  std::vector<Figure> figures;
  const std::string band = " Per arm: mean over completed seeds (line) with the min-max band; each run faint.";
  {
    std::vector<Series> series = {probe_series(runs, "λmax", &ProbeMeasures::lambda_max)};
    Series batch = batch_sharpness_series(runs);
    const bool with_batch = has_points(batch);
    if (with_batch) series.push_back(std::move(batch));
    Figure f = trajectory_figure("lambda_max", "Largest Hessian eigenvalue λmax along training",
                                 "λmax (top Hessian eigenvalue on the probe set) against the fraction of training" +
                                     std::string(with_batch ? " (solid); batch sharpness, λmax of each recorded step's "
                                                              "own minibatch loss (dashed)."
                                                            : ".") +
                                     band,
                                 "λmax", arms, std::move(series));
    f.log_y = all_positive_wide(f);
    figures.push_back(std::move(f));
  }
  {
    Figure f = trajectory_figure("trace", "Hessian trace along training",
                                 "Hutchinson/Hutch++ trace of the probe-set Hessian." + band, "trace", arms,
                                 {probe_series(runs, "trace", &ProbeMeasures::trace)});
    f.log_y = all_positive_wide(f);
    figures.push_back(std::move(f));
  }
  figures.push_back(trajectory_figure(
      "stability", "Stability ratio lr·λmax against the linear-stability limit",
      "lr·λmax (solid) and the limit 2(1+β) for heavy ball or (2+2β)/(1+2β) for Nesterov (dashed); edge of stability "
      "is where the two meet." + band,
      "lr · λmax", arms,
      {probe_series(runs, "lr·λmax", &ProbeMeasures::stability_ratio),
       probe_series(runs, "stability limit", &ProbeMeasures::stability_limit, 2, false)}));
  {
    Figure f = trajectory_figure("schedule", "Learning rate and momentum", "Learning rate (left axis, solid) and momentum "
                                 "(right axis, dashed) per logged step, from metrics.csv.", "learning rate", arms,
                                 {metrics_series(runs, "lr", "lr", 1, false, false),
                                  metrics_series(runs, "momentum", "momentum", 2, true, false)});
    f.y2_label = "momentum";
    figures.push_back(std::move(f));
  }
  {
    Figure f = trajectory_figure("loss", "Training and test loss",
                                 "Training loss of the logged batches (solid) and test loss at evaluations (dashed), from "
                                 "metrics.csv." + band, "loss", arms,
                                 {metrics_series(runs, "train loss", "train_loss"),
                                  metrics_series(runs, "test loss", "test_loss", 2)});
    f.log_y = all_positive_wide(f);
    figures.push_back(std::move(f));
  }
  figures.push_back(trajectory_figure("accuracy", "Training and test accuracy",
                                      "Training accuracy of the logged batches (solid) and test accuracy (dashed), from "
                                      "metrics.csv." + band, "accuracy", arms,
                                      {metrics_series(runs, "train accuracy", "train_accuracy"),
                                       metrics_series(runs, "test accuracy", "test_accuracy", 2)}));
  figures.push_back(trajectory_figure("weight_norm", "Weight norm", "Global L2 norm of the parameters, from metrics.csv." + band,
                                      "||w||", arms, {metrics_series(runs, "weight norm", "weight_norm")}));
  {
    Figure f = trajectory_figure("adaptive_sharpness", "Adaptive sharpness along training",
                                 "Adaptive sharpness max L(w+e) - L(w) over ||e/(|w|+η)|| <= ρ." + band, "adaptive sharpness",
                                 arms, {probe_series(runs, "adaptive sharpness", &ProbeMeasures::adaptive_sharpness)});
    if (has_points(f)) figures.push_back(std::move(f));
  }
  {
    Figure f = trajectory_figure("epsilon_sharpness", "ε-sharpness along training",
                                 "ε-sharpness as a percentage of 1 + L(w)." + band, "ε-sharpness (%)", arms,
                                 {probe_series(runs, "ε-sharpness", &ProbeMeasures::epsilon_sharpness)});
    if (has_points(f)) figures.push_back(std::move(f));
  }
  const auto peak_step = peak_steps(runs, compared);
  for (const char* label : {"peak", "end"}) {
    Figure f = esd_figure(runs, arms, compared, label, peak_step);
    if (has_points(f)) figures.push_back(std::move(f));
  }
  Figure f = lrfind_figure(runs, arms);
  if (has_points(f)) figures.push_back(std::move(f));
  return figures;
}

}  // namespace curvtrack::report
