#include "test_prelude.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "run_tool.hpp"

using curvtrack::testing::fixture_model;
using curvtrack::testing::run_tool;
using curvtrack::testing::TempDir;
using nlohmann::json;

namespace {

const char* kFashionRoot = "/usr/share/datasets/fashion-mnist";

json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

void require_sorted(const json& values, bool descending) {
  for (std::size_t i = 1; i < values.size(); ++i) {
    double previous = values[i - 1].get<double>(), current = values[i].get<double>();
    REQUIRE((descending ? previous >= current : previous <= current));
  }
}

}  // namespace

TEST_CASE("spectrum on a TorchScript MLP writes every measure with its error estimate", "[integration]") {
  if (!std::filesystem::exists(kFashionRoot)) {
    WARN("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped");
    return;
  }
  TempDir dir;
  auto out = dir.path() / "r.json";
  auto run = run_tool({"spectrum", "--model", fixture_model("mlp_784_16_10_tanh.pt"), "--probe",
                       "train:first:256", "--top-k", "3", "--bottom-k", "2", "--trace", "hutchpp:60",
                       "--esd", "30x4", "--dtype", "float64", "--threads", "1", "--out", out.string()});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  json r = read_json(out);
  REQUIRE(r["settings"]["model"]["parameters"] == 12730);
  REQUIRE(r["settings"]["probe"]["examples"] == 256);
  REQUIRE(r["settings"]["dtype"] == "float64");
  REQUIRE(r["settings"]["threads"] == 1);
  REQUIRE(r["determinism"]["identical"] == true);
  REQUIRE(std::isfinite(r["probe_loss"].get<double>()));

  for (const char* side : {"top", "bottom"}) {
    const json& part = r[side];
    INFO(side << ": " << part.dump());
    REQUIRE(part["converged"] == true);
    REQUIRE(part["values"].size() == (std::string(side) == "top" ? 3U : 2U));
    require_sorted(part["values"], std::string(side) == "top");
    for (const auto& residual : part["relative_residuals"]) REQUIRE(residual.get<double>() < 1e-8);
    REQUIRE(part["hvps"].get<int>() > 0);
  }
  // The largest eigenvalue bounds every other one.
  REQUIRE(r["top"]["values"][0].get<double>() >= r["bottom"]["values"][0].get<double>());

  // Two independent estimators of the trace agree within their combined standard errors.
  double hutchpp = r["trace"]["value"], hutchpp_se = r["trace"]["standard_error"];
  double slq = r["esd"]["trace_estimate"], slq_se = r["esd"]["trace_standard_error"];
  INFO("Hutch++ " << hutchpp << " +- " << hutchpp_se << ", SLQ " << slq << " +- " << slq_se);
  REQUIRE(std::abs(hutchpp - slq) < 4.0 * std::hypot(hutchpp_se, slq_se));

  // The density's raw quadrature is written per run; weights sum to one.
  REQUIRE(r["esd"]["nodes"].size() == 4);
  for (const auto& weights : r["esd"]["weights"]) {
    double total = 0;
    for (const auto& w : weights) total += w.get<double>();
    REQUIRE(std::abs(total - 1.0) < 1e-10);
  }
  REQUIRE(r["total_hvps"].get<int>() >= r["top"]["hvps"].get<int>() + r["bottom"]["hvps"].get<int>());
  REQUIRE(run.err.find("top") != std::string::npos);  // human summary on stderr
}

TEST_CASE("spectrum on a TorchScript CNN in float32 converges and reports its HVPs", "[integration]") {
  if (!std::filesystem::exists(kFashionRoot)) {
    WARN("Fashion-MNIST not installed: skipped");
    return;
  }
  TempDir dir;
  auto out = dir.path() / "cnn.json";
  auto run = run_tool({"spectrum", "--model", fixture_model("cnn_small.pt"), "--probe", "test:random:128:5",
                       "--top-k", "2", "--trace", "hutchinson:20", "--esd", "none", "--dtype", "float32",
                       "--out", out.string(), "--quiet"});  // --tol auto: 1e-5 in float32
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.err.empty());  // --quiet
  json r = read_json(out);
  REQUIRE(r["settings"]["model"]["parameters"] == 1898);
  REQUIRE(r["settings"]["probe"]["split"] == "test");
  INFO(r["top"].dump());
  REQUIRE(r["top"]["tol"] == 1e-5);
  REQUIRE(r["top"]["converged"] == true);
  REQUIRE(r["trace"]["samples"] == 20);
  REQUIRE(r["trace"]["standard_error"].get<double>() > 0);
  REQUIRE_FALSE(r.contains("esd"));
}

TEST_CASE("spectrum: unrestarted and restarted Lanczos agree; float32 gets a tolerance it can reach", "[integration]") {
  if (!std::filesystem::exists(kFashionRoot)) {
    WARN("Fashion-MNIST not installed: skipped");
    return;
  }
  TempDir dir;
  auto spectrum = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args = {"spectrum", "--model", fixture_model("mlp_784_16_10_tanh.pt"), "--probe",
                                     "train:first:256", "--top-k", "3", "--bottom-k", "1", "--trace", "none",
                                     "--esd", "none", "--threads", "1", "--quiet", "--out", (dir.path() / name).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto run = run_tool(args);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    return read_json(dir.path() / name);
  };
  json lanczos = spectrum("lanczos.json", {"--dtype", "float64"});
  json restarted = spectrum("restarted.json", {"--dtype", "float64", "--eigensolver", "restarted"});
  for (const char* side : {"top", "bottom"}) {
    INFO(side << ": lanczos " << lanczos[side].dump() << "\nrestarted " << restarted[side].dump());
    REQUIRE(lanczos[side]["converged"] == true);
    REQUIRE(restarted[side]["converged"] == true);
    REQUIRE(lanczos[side]["tol"] == 1e-10);
    REQUIRE(lanczos[side]["lanczos_steps"].get<int>() > 0);
    REQUIRE(restarted[side]["lanczos_steps"] == 0);
    for (std::size_t i = 0; i < lanczos[side]["values"].size(); ++i) {
      const double a = lanczos[side]["values"][i], b = restarted[side]["values"][i];
      REQUIRE(std::abs(a - b) <= 1e-8 * std::abs(b) + 1e-10 * lanczos["top"]["values"][0].get<double>());
    }
  }
  json single = spectrum("float32.json", {"--dtype", "float32"});
  INFO(single["top"].dump());
  REQUIRE(single["top"]["tol"] == 1e-5);
  REQUIRE(single["top"]["converged"] == true);
  for (const auto& residual : single["top"]["relative_residuals"]) REQUIRE(residual.get<double>() <= 1e-5);

  auto bad = run_tool({"spectrum", "--model", fixture_model("mlp_784_16_10_tanh.pt"), "--eigensolver", "arnoldi",
                       "--out", (dir.path() / "bad.json").string()});
  REQUIRE(bad.exit_code == 2);
  REQUIRE(bad.err.find("--eigensolver 'arnoldi' is not one of lanczos, restarted") != std::string::npos);
  REQUIRE_FALSE(std::filesystem::exists(dir.path() / "bad.json"));
}

TEST_CASE("spectrum --trace hutchinson:auto stops at its standard-error target and records it", "[integration]") {
  if (!std::filesystem::exists(kFashionRoot)) {
    WARN("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): skipped");
    return;
  }
  TempDir dir;
  auto spectrum = [&](const std::string& trace, const std::string& name, const std::string& blocks) {
    auto out = dir.path() / name;
    auto run = run_tool({"spectrum", "--model", fixture_model("mlp_784_16_10_tanh.pt"), "--probe", "train:first:128",
                         "--top-k", "0", "--trace", trace, "--esd", "none", "--dtype", "float64", "--threads", "1",
                         "--blocks", blocks, "--quiet", "--out", out.string()});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    return read_json(out);
  };
  const json automatic = spectrum("hutchinson:auto:0.2:400", "auto.json", "module");
  const json& t = automatic["trace"];
  INFO(t.dump());
  REQUIRE(t["target_relative_se"] == 0.2);
  REQUIRE(t["target_reached"] == true);
  const int samples = t["samples"].get<int>();
  REQUIRE(samples >= 10);
  REQUIRE(samples < 400);
  REQUIRE(t["hvps"] == samples);
  REQUIRE(t["standard_error"].get<double>() <= 0.2 * std::abs(t["value"].get<double>()));
  // The same seed's fixed count of that many samples: the same estimate, and no target fields.
  const json fixed = spectrum("hutchinson:" + std::to_string(samples), "fixed.json", "none");
  REQUIRE(fixed["trace"]["value"].get<double>() == t["value"].get<double>());
  REQUIRE_FALSE(fixed["trace"].contains("target_reached"));
  // Module blocks (two layers) take their traces from the samples the whole trace kept.
  REQUIRE(automatic["blocks"].size() == 2);
  double block_sum = 0;
  for (const auto& [name, block] : automatic["blocks"].items()) {
    INFO(name);
    REQUIRE(block["trace"]["samples"] == samples);
    REQUIRE(block["trace"]["hvps"] == 0);
    block_sum += block["trace"]["value"].get<double>();
  }
  REQUIRE(std::abs(block_sum - t["value"].get<double>()) <= 1e-9 * std::abs(t["value"].get<double>()));
  // Phase timings, process start included.
  for (const char* phase : {"start", "data", "model", "operator", "determinism_check", "trace"}) {
    INFO(phase);
    REQUIRE(automatic["phase_seconds"][phase].get<double>() >= 0);
  }
}
