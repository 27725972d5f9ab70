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
                       "--tol", "1e-6", "--out", out.string(), "--quiet"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.err.empty());  // --quiet
  json r = read_json(out);
  REQUIRE(r["settings"]["model"]["parameters"] == 1898);
  REQUIRE(r["settings"]["probe"]["split"] == "test");
  REQUIRE(r["top"]["converged"] == true);
  REQUIRE(r["trace"]["samples"] == 20);
  REQUIRE(r["trace"]["standard_error"].get<double>() > 0);
  REQUIRE_FALSE(r.contains("esd"));
}
