// Users' own data (--data tensors:FILE) through the real tool: spectrum on an .npz that numpy
// wrote, checked against the analytic Hessian of softmax regression on the same values
// restated here; train and lrfind on a pair of .npy files end to end.
#include "test_prelude.hpp"

#include <ATen/ATen.h>

#include <Eigen/Eigenvalues>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "curvtrack/core/npy.hpp"
#include "curvtrack/models/network.hpp"
#include "curvtrack/runs/metrics_table.hpp"
#include "dense_reference.hpp"
#include "run_tool.hpp"

using namespace curvtrack;
using curvtrack::testing::run_tool;
using curvtrack::testing::TempDir;
using curvtrack::testing::slurp;
using Catch::Matchers::WithinRel;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(CURVTRACK_SOURCE_DIR) / "tests" / "fixtures" / "npy";

json read_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

Eigen::MatrixXd row_major(const at::Tensor& tensor) {
  at::Tensor t = tensor.to(at::kDouble).contiguous();
  return Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      t.data_ptr<double>(), t.size(0), t.numel() / t.size(0));
}

// Three well-separated clusters in 6 dimensions: class c has mean 3 on feature c, unit noise.
void write_clusters(const fs::path& x_path, const fs::path& y_path, std::int64_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  std::string x = core::npy_header("<f4", {n, 6}), y = core::npy_header("<i8", {n});
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t label = i % 3;
    for (int d = 0; d < 6; ++d) {
      const float value = noise(rng) + (d == label ? 3.0f : 0.0f);
      x.append(reinterpret_cast<const char*>(&value), sizeof value);
    }
    y.append(reinterpret_cast<const char*>(&label), sizeof label);
  }
  std::ofstream(x_path, std::ios::binary) << x;
  std::ofstream(y_path, std::ios::binary) << y;
}

}  // namespace

TEST_CASE("spectrum on a numpy .npz matches the exact Hessian of softmax regression on its values", "[integration]") {
  TempDir dir;
  const fs::path out = dir.path() / "r.json";
  const std::string npz = (kFixtures / "dataset_deflated.npz").string();
  auto run = run_tool({"spectrum", "--model", "mlp:3-3", "--data", "tensors:" + npz, "--probe", "train:all",
                       "--top-k", "3", "--trace", "none", "--esd", "none", "--dtype", "float64", "--threads", "1",
                       "--quiet", "--out", out.string(), "--save-eigenvectors", (dir.path() / "vectors").string()});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const json r = read_json(out);
  CHECK(r["settings"]["data"]["name"] == "tensors");
  CHECK(r["settings"]["data"]["source"] == npz);
  CHECK(r["settings"]["probe"]["examples"] == 4);

  // The same seed-0 initialisation, and the file's values as make_npy.py defines them.
  auto network = models::make_network("mlp:3-3", 0);
  network->to(at::kCPU, at::kDouble);
  auto parameters = network->parameters();
  Eigen::MatrixXd inputs(4, 3);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j) inputs(i, j) = static_cast<float>(i + j / 10.0);
  }
  const Eigen::VectorXd bias = row_major(parameters[1].reshape({1, -1})).transpose();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> exact(
      curvtrack::testing::softmax_regression_hessian(row_major(parameters[0]), bias, inputs));
  const Eigen::VectorXd& values = exact.eigenvalues();  // ascending
  for (int k = 0; k < 3; ++k) {
    INFO("eigenvalue " << k);
    CHECK_THAT(r["top"]["values"][k].get<double>(), WithinRel(values[values.size() - 1 - k], 1e-8));
  }

  // --save-eigenvectors: row k of top.npy is a unit eigenvector of the exact Hessian for value k,
  // laid out as layout.json says (weight [3, 3] at offset 0, bias [3] at 9).
  const core::NpyArray top = core::parse_npy(slurp(dir.path() / "vectors" / "top.npy"), "top.npy");
  REQUIRE(top.type == core::NpyType::kFloat64);
  REQUIRE(top.shape == std::vector<std::int64_t>{3, 12});
  const std::string_view payload = top.payload();
  Eigen::Matrix<double, 3, 12, Eigen::RowMajor> rows;
  std::memcpy(rows.data(), payload.data(), payload.size());
  const Eigen::MatrixXd hessian =
      curvtrack::testing::softmax_regression_hessian(row_major(parameters[0]), bias, inputs);
  for (int k = 0; k < 3; ++k) {
    const Eigen::VectorXd v = rows.row(k).transpose();
    const double lambda = r["top"]["values"][k].get<double>();
    INFO("eigenvector " << k);
    CHECK_THAT(v.norm(), WithinRel(1.0, 1e-10));
    CHECK((hessian * v - lambda * v).norm() < 1e-8 * std::abs(values[values.size() - 1]));
  }
  const json layout = read_json(dir.path() / "vectors" / "layout.json");
  CHECK(layout["parameters"].size() == 2);
  CHECK(layout["parameters"][1]["offset"] == 9);
  CHECK(layout["parameters"][1]["shape"] == json::array({3}));
  CHECK(layout["top_values"][0].get<double>() == r["top"]["values"][0].get<double>());
  CHECK_FALSE(fs::exists(dir.path() / "vectors" / "bottom.npy"));
}

TEST_CASE("train and lrfind run end to end on tensors: .npy pairs and learn the clusters", "[integration]") {
  TempDir dir;
  const fs::path& d = dir.path();
  write_clusters(d / "x.npy", d / "y.npy", 150, 1);
  write_clusters(d / "test_x.npy", d / "test_y.npy", 60, 2);
  const std::string train_files = "tensors:" + (d / "x.npy").string() + "," + (d / "y.npy").string();
  const std::string test_files = "tensors:" + (d / "test_x.npy").string() + "," + (d / "test_y.npy").string();
  std::ofstream(d / "run.ini") << "[data]\ndataset = " << train_files << "\ntest_dataset = " << test_files
                               << "\nbatch_size = 16\n[model]\nspec = mlp:6-16-3:tanh\n[schedule]\npolicy = constant\n"
                                  "lr = 0.1\n[train]\nsteps = 60\neval_every = 30\n[curvature]\nat = end\n"
                                  "probe = train:first:64\ntest_probe = test:all\n";
  const fs::path run_dir = d / "run";
  auto train = run_tool({"train", "--config", (d / "run.ini").string(), "--run-dir", run_dir.string(), "--threads", "1",
                         "--quiet"});
  INFO(train.err);
  REQUIRE(train.exit_code == 0);
  CHECK(read_json(run_dir / "meta.json")["status"] == "completed");
  const std::vector<runs::MetricsRow> rows = runs::read_metrics(run_dir / "metrics.csv");
  REQUIRE(!rows.empty());
  const runs::MetricsRow& last = rows.back();
  CHECK(last.at("step") == 60);
  CHECK(last.at("test_accuracy") >= 0.85);  // the clusters are 3 standard deviations apart
  std::ifstream records(run_dir / "curvature.jsonl");
  std::string line;
  REQUIRE(std::getline(records, line));
  CHECK(json::parse(line)["top"]["values"][0].get<double>() > 0);

  auto lrfind = run_tool({"lrfind", "--config", (d / "run.ini").string(), "--out", (d / "lr").string(), "--threads",
                          "1", "--quiet"});
  INFO(lrfind.err);
  REQUIRE(lrfind.exit_code == 0);
  const json found = read_json(d / "lr" / "lrfind.json");
  CHECK(found["chosen"].get<double>() > 0);
}
