#include "synthetic_runs.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace fs = std::filesystem;

namespace curvtrack::testing {
namespace {

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string number(double value) {
  if (std::isnan(value)) return "nan";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

nlohmann::json probe(const SyntheticRun& run, std::int64_t step, const std::string& label) {
  const double t = static_cast<double>(step) / static_cast<double>(run.total_steps);
  const double shape = 0.5 + 0.5 * t;
  const double lr = run.arm == "onecycle" ? 0.02 + 0.18 * (t < 0.45 ? t / 0.45 : std::max(0.0, (0.9 - t) / 0.45)) : 0.05;
  const double lambda = run.lambda_end * shape;
  const double loss = run.final_loss + (2.3 - run.final_loss) * (1 - t);
  nlohmann::json record = {
      {"step", step},
      {"label", label},
      {"lr", lr},
      {"momentum", 0.9},
      {"train_probe", {{"loss", loss}, {"accuracy", 1 - loss / 3}, {"examples", 256}}},
      {"test_probe", {{"loss", loss + 0.1}, {"accuracy", run.test_accuracy}, {"examples", 64}}},
      {"weight_norm", {{"global", 5 + t}, {"per_parameter", {{"0.weight", 4 + t}}}}},
      {"gradient_norm", 0.5 * (1 - t) + 0.01},
      {"top", {{"values", {lambda, 0.5 * lambda}}, {"residuals", {1e-12, 1e-12}}, {"converged", true}, {"hvps", 40}}},
      {"bottom", {{"values", {-0.01}}, {"residuals", {1e-12}}, {"converged", true}, {"hvps", 40}}},
      {"trace", {{"value", run.trace_end * shape}, {"standard_error", 1.0}, {"samples", 60}}},
      {"stability", {{"lr_times_lambda_max", lr * lambda}, {"limit", 3.8}, {"fraction_of_limit", lr * lambda / 3.8}}},
      {"hvps", 200},
      {"seconds", 0.01}};
  if (!std::isnan(run.sharpness_end)) {
    record["sharpness"] = {{"adaptive", {{"sharpness", run.sharpness_end * shape}, {"percent", nullptr}}},
                           {"epsilon", {{"sharpness", 0.01}, {"percent", 100 * run.sharpness_end * shape}}}};
  }
  if (label == "peak" || label == "end") {
    nlohmann::json grid = nlohmann::json::array(), density = nlohmann::json::array();
    for (int i = 0; i <= 40; ++i) {
      double x = -1 + (lambda + 2) * i / 40.0;
      grid.push_back(x);
      density.push_back(std::exp(-x * x) + 0.05 * std::exp(-(x - lambda) * (x - lambda)));
    }
    record["esd"] = {{"nodes", {{0.0, lambda}}}, {"weights", {{0.9, 0.1}}}, {"grid", grid}, {"density", density}, {"sigma", 0.1}};
  }
  return record;
}

}  // namespace

double synthetic_noise(std::int64_t seed, int stream, double scale) {
  std::uint64_t x = static_cast<std::uint64_t>(seed) * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(stream) * 0xBF58476D1CE4E5B9ULL + 1;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 29;
  double unit = static_cast<double>(x >> 11) / 9007199254740992.0;  // [0, 1)
  return scale * (2 * unit - 1);
}

void write_synthetic_run(const fs::path& dir, const SyntheticRun& run) {
  fs::create_directories(dir);
  const bool diverged = run.status == "diverged";
  const std::int64_t last_step = diverged ? 40 : run.total_steps;
  write_text(dir / "config.ini", "# synthetic run for the report tests\n[run]\nname = " + run.arm +
                                     "\nseed = " + std::to_string(run.seed) + "\n\n[schedule]\npolicy = " +
                                     (run.arm == "onecycle" ? "onecycle" : "constant") +
                                     "\n\n[data]\nbatch_size = 32\n");
  nlohmann::json meta = {{"status", run.status},
                         {"total_steps", run.total_steps},
                         {"steps_done", last_step},
                         {"schedule", run.arm == "onecycle" ? "onecycle(lr_max=0.2)" : "constant(lr=0.05)"},
                         {"optimizer", "sgd(momentum 0.9)"},
                         {"model", {{"spec", "mlp:16-10"}, {"parameters", 170}}},
                         {"run", {{"name", run.arm}, {"seed", run.seed}}},
                         {"train_seconds", 1.5},
                         {"probe_seconds", 0.5}};
  if (run.arm == "onecycle") meta["lr_max_chosen"] = 0.2;
  if (diverged) meta["stop_reason"] = "loss is not finite at step 40";
  write_text(dir / "meta.json", meta.dump(2) + "\n");

  std::string csv = "step,epoch,lr,momentum,effective_lr,train_loss,train_accuracy,grad_norm,weight_norm,test_loss,test_accuracy\n";
  for (std::int64_t step = 0; step < last_step; step += 10) {
    double t = static_cast<double>(step) / static_cast<double>(run.total_steps);
    double loss = diverged && step >= 30 ? NAN : run.final_loss + (2.3 - run.final_loss) * (1 - t);
    csv += std::to_string(step) + "," + number(t * 5) + ",0.05,0.9,0.5," + number(loss) + "," + number(1 - loss / 3) +
           ",0.3," + number(5 + t) + (step % 50 == 0 ? "," + number(loss + 0.1) + "," + number(run.test_accuracy) : ",,") +
           "\n";
  }
  if (!diverged) {
    csv += std::to_string(run.total_steps) + ",5,,,,,,," + number(6.0) + "," + number(run.final_loss + 0.1) + "," +
           number(run.test_accuracy) + "\n";
  }
  write_text(dir / "metrics.csv", csv);

  std::string jsonl;
  const std::string peak_label = run.arm == "onecycle" ? "peak" : "fraction 0.45";
  std::vector<std::pair<std::int64_t, std::string>> points = {
      {0, run.arm == "onecycle" ? "fraction 0" : "peak"}, {45, peak_label}, {50, "fraction 0.5"}, {run.total_steps, "end"}};
  for (const auto& [step, label] : points) {
    if (diverged ? step >= last_step : step > last_step) break;
    jsonl += probe(run, step, label).dump() + "\n";
  }
  if (diverged) {
    jsonl += nlohmann::json({{"step", last_step}, {"label", "stopped"},
                             {"probing_stopped", "the run diverged at step 39; 2 later probe points were not measured"}})
                 .dump() +
             "\n";
  }
  write_text(dir / "curvature.jsonl", jsonl);

  if (run.lrfind) {
    std::string lrfind = "iteration,lr,loss,smoothed,accuracy\n";
    for (int i = 0; i < 30; ++i) {
      double lr = 1e-4 * std::pow(10.0, i / 6.0);
      double loss = 2.3 - 1.5 * std::tanh(i / 10.0) + (i > 24 ? (i - 24) * 0.5 : 0);
      lrfind += std::to_string(i) + "," + number(lr) + "," + number(loss) + "," + number(loss) + ",nan\n";
    }
    write_text(dir / "lrfind.csv", lrfind);
  }
}

void write_study(const fs::path& root, int seeds, double lambda_ratio, double trace_ratio, double sharpness_ratio) {
  for (int seed = 0; seed < seeds; ++seed) {
    const double sign = seed % 2 == 0 ? 1 : -1;
    SyntheticRun constant;
    constant.arm = "constant";
    constant.seed = seed;
    constant.lambda_end = 10 * std::exp(synthetic_noise(seed, 1, 0.2));
    constant.trace_end = 100 * std::exp(synthetic_noise(seed, 2, 0.2));
    constant.sharpness_end = 0.1 * std::exp(synthetic_noise(seed, 3, 0.2));
    constant.final_loss = 0.2 + synthetic_noise(seed, 4, 0.05);
    SyntheticRun onecycle = constant;
    onecycle.arm = "onecycle";
    onecycle.lambda_end = constant.lambda_end * lambda_ratio * std::exp(sign * 0.02);
    onecycle.trace_end = constant.trace_end * trace_ratio * std::exp(sign * 0.02);
    onecycle.sharpness_end = constant.sharpness_end * sharpness_ratio * std::exp(sign * 0.02);
    onecycle.final_loss = 0.25 + synthetic_noise(seed, 5, 0.05);
    onecycle.lrfind = true;
    for (SyntheticRun* run : {&constant, &onecycle}) {
      run->test_accuracy = 0.95 - 0.01 * run->lambda_end;
      write_synthetic_run(root / run->arm / ("seed-" + std::to_string(seed)), *run);
    }
  }
}

}  // namespace curvtrack::testing
