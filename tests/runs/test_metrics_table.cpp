#include "test_prelude.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/runs/json_log.hpp"
#include "curvtrack/runs/metrics_table.hpp"
#include "test_support.hpp"

using namespace curvtrack;
namespace fs = std::filesystem;

using curvtrack::testing::TempDir;

TEST_CASE("metrics rows round-trip exactly, missing cells stay empty", "[unit]") {
  TempDir dir;
  fs::path path = dir.path() / "roundtrip.csv";
  {
    runs::MetricsTable table(path, {"step", "lr", "loss"});
    table.append({{"step", 0}, {"lr", 0.1}, {"loss", 2.302585092994046}});
    table.append({{"step", 5}, {"loss", NAN}});
  }
  REQUIRE(core::read_file(path) == "step,lr,loss\n0,0.10000000000000001,2.3025850929940459\n5,,nan\n");
  auto rows = runs::read_metrics(path);
  REQUIRE(rows.size() == 2);
  REQUIRE(rows[0].at("loss") == 2.302585092994046);
  REQUIRE(rows[1].count("lr") == 0);
  REQUIRE(std::isnan(rows[1].at("loss")));
}

TEST_CASE("reopening for a resume drops the rows at and after the checkpoint step", "[unit]") {
  TempDir dir;
  fs::path path = dir.path() / "resume.csv";
  {
    runs::MetricsTable table(path, {"step", "loss"});
    for (int step = 0; step < 10; ++step) table.append({{"step", step}, {"loss", 1.0 / (step + 1)}});
  }
  {
    runs::MetricsTable table(path, {"step", "loss"}, 6);
    table.append({{"step", 6}, {"loss", 42}});
  }
  auto rows = runs::read_metrics(path);
  REQUIRE(rows.size() == 7);
  REQUIRE(rows.back().at("step") == 6);
  REQUIRE(rows.back().at("loss") == 42);
}

TEST_CASE("a torn last line is ignored and a foreign header is refused", "[unit]") {
  TempDir dir;
  fs::path path = dir.path() / "torn.csv";
  core::write_file_atomically(path, "step,loss\n0,1.5\n1,1.");
  REQUIRE(runs::read_metrics(path).size() == 1);
  REQUIRE_THROWS_AS(runs::MetricsTable(path, {"step", "lr"}), core::DataError);
  core::write_file_atomically(path, "step,loss\n0,abc\n");
  REQUIRE_THROWS_WITH(runs::read_metrics(path), Catch::Matchers::Contains(":2:"));
}

TEST_CASE("the curvature log drops records from the resume step on and ignores a torn line", "[unit]") {
  TempDir dir;
  fs::path path = dir.path() / "curvature.jsonl";
  {
    runs::JsonLog log(path);
    for (int step : {0, 10, 20, 30}) log.append({{"step", step}, {"lambda_max", 1.0 + step}});
  }
  {
    std::ofstream torn(path, std::ios::app);
    torn << "{\"step\": 40, \"lamb";
  }
  REQUIRE(runs::read_json_log(path).size() == 4);
  { runs::JsonLog resumed(path, 20); }
  auto records = runs::read_json_log(path);
  REQUIRE(records.size() == 2);
  REQUIRE(records.back()["step"] == 10);
  core::write_file_atomically(path, "{\"step\": 1}\n[1,2]\n");
  REQUIRE_THROWS_WITH(runs::read_json_log(path), Catch::Matchers::Contains(":2:"));
}
