// spectrum's operator choices through the real tool: the GGN of the square loss over a parameter
// selection, split into blocks, with probe draws. The block and whole-selection results must be
// consistent with each other: block traces add up to the selection's trace (the trace of a
// matrix is the sum of the traces of its diagonal blocks), every eigenvalue of a positive
// semi-definite matrix is >= 0, and a principal submatrix's largest eigenvalue cannot exceed
// the whole matrix's (Cauchy interlacing).
#include "test_prelude.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "run_tool.hpp"

using curvtrack::testing::run_tool;
using curvtrack::testing::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

TEST_CASE("spectrum --operator ggn --loss mse --blocks module --params --probe-draws is self-consistent", "[integration]") {
  TempDir dir;
  const fs::path out = dir.path() / "r.json";
  auto run = run_tool({"spectrum", "--model", "mlp:64-12-8-10:tanh", "--data", "gmm:600:10:8:4", "--probe",
                       "train:first:200", "--operator", "ggn", "--loss", "mse", "--params", "1.*,3.*", "--blocks",
                       "module", "--block-top-k", "1", "--top-k", "2", "--trace", "hutchpp:400", "--esd", "none", "--probe-draws", "3",
                       "--dtype", "float64", "--threads", "1", "--quiet", "--out", out.string()});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  std::ifstream in(out);
  const json r = json::parse(in);
  const json& op = r["settings"]["operator"];
  CHECK(op["matrix"] == "ggn");
  CHECK(op["loss"] == "mse");
  CHECK(op["positive_semidefinite"] == true);
  CHECK(op["parameter_globs"] == json::array({"1.*", "3.*"}));
  // mlp:64-12-8-10 has 1.weight [12, 64], 1.bias, 3.weight [8, 12], 3.bias, 5.*: blocks 1 and 3 only.
  CHECK(op["parameters"] == 12 * 64 + 12 + 8 * 12 + 8);
  REQUIRE(r["blocks"].size() == 2);
  CHECK(r["blocks"]["1"]["size"] == 12 * 64 + 12);
  CHECK(r["blocks"]["3"]["parameters"] == json::array({"3.weight", "3.bias"}));
  // The block traces come from the whole Hutch++ estimate's 400 products and split it exactly.
  const double whole = r["trace"]["value"].get<double>();
  const double blocks = r["blocks"]["1"]["trace"]["value"].get<double>() + r["blocks"]["3"]["trace"]["value"].get<double>();
  CHECK(std::abs(whole - blocks) <= 1e-9 * std::abs(whole));
  CHECK(r["blocks"]["1"]["trace"]["hvps"] == 0);
  CHECK(r["blocks"]["1"]["trace"]["standard_error"].get<double>() > 0);
  REQUIRE(r["blocks"]["1"]["top"]["values"].size() == 1);
  const double lambda_max = r["top"]["values"][0].get<double>();
  for (const char* name : {"1", "3"}) {
    const double block_max = r["blocks"][name]["top"]["values"][0].get<double>();
    CHECK(block_max >= 0);
    CHECK(block_max <= lambda_max * (1 + 1e-8));
  }
  CHECK(r["top"]["values"][1].get<double>() >= 0);
  const double fraction = r["subspace"]["gradient_fraction"].get<double>();
  CHECK(fraction >= 0);
  CHECK(fraction <= 1 + 1e-12);
  const json& draws = r["probe_draws"];
  CHECK(draws["draws"] == 3);
  CHECK(draws["examples"] == 200);
  REQUIRE(draws["values"].size() == 3);
  CHECK(draws["min"].get<double>() <= draws["mean"].get<double>());
  CHECK(draws["mean"].get<double>() <= draws["max"].get<double>());
  CHECK(draws["sd"].get<double>() > 0);  // different examples, different lambda_max
  CHECK(r["total_hvps"].get<std::int64_t>() > r["trace"]["hvps"].get<std::int64_t>() + draws["hvps"].get<std::int64_t>());
}

TEST_CASE("spectrum --list-params prints names, shapes and sizes in the flattened order", "[integration]") {
  auto run = run_tool({"spectrum", "--model", "mlp:64-12-10:tanh", "--list-params"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out == "1.weight\t12x64\t768\n1.bias\t12\t12\n3.weight\t10x12\t120\n3.bias\t10\t10\ntotal\t\t910\n");
}
