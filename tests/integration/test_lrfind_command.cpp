#include "test_prelude.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "run_tool.hpp"

using curvtrack::testing::run_tool;
using curvtrack::testing::slurp;
using curvtrack::testing::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinRel;
namespace fs = std::filesystem;

namespace {

nlohmann::json json_of(const fs::path& path) { return nlohmann::json::parse(slurp(path)); }

bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

// CSV rows below the header, as numbers.
std::vector<std::vector<double>> csv_rows(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) row.push_back(cell.empty() || cell == "nan" ? NAN : std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

const std::vector<std::string> kSynthetic = {"--threads", "1", "--set", "data.dataset=gmm:1024:10:28:3",
                                             "--set", "data.batch_size=32", "--set", "model.spec=mlp:784-32-10:tanh"};

std::vector<std::string> with_synthetic(std::vector<std::string> arguments) {
  arguments.insert(arguments.end(), kSynthetic.begin(), kSynthetic.end());
  return arguments;
}

// A short 1cycle run whose lr_max the range test picks.
std::vector<std::string> auto_run(const fs::path& run_dir) {
  return with_synthetic({"train", "--run-dir", run_dir.string(), "--quiet", "--set", "schedule.policy=onecycle",
                         "--set", "schedule.lr_max=auto", "--set", "train.steps=200", "--set",
                         "train.checkpoint_every=100", "--set", "train.log_every=1"});
}

std::vector<std::string> plus(std::vector<std::string> arguments, const std::vector<std::string>& more) {
  arguments.insert(arguments.end(), more.begin(), more.end());
  return arguments;
}

// The largest lr in a run's metrics.csv (column "lr").
double largest_logged_lr(const fs::path& run) {
  std::ifstream in(run / "metrics.csv");
  std::string header;
  std::getline(in, header);
  std::stringstream names(header);
  std::string name;
  int column = 0, lr_column = -1;
  while (std::getline(names, name, ',')) {
    if (name == "lr") lr_column = column;
    ++column;
  }
  REQUIRE(lr_column >= 0);
  double largest = 0;
  for (const auto& row : csv_rows(run / "metrics.csv")) {
    if (static_cast<int>(row.size()) > lr_column && std::isfinite(row[lr_column])) largest = std::max(largest, row[lr_column]);
  }
  return largest;
}

}  // namespace

TEST_CASE("curvtrack lrfind writes the curve, the suggestions and a figure", "[integration]") {
  TempDir dir;
  fs::path out = dir.path() / "lrfind";
  auto run = run_tool(with_synthetic({"lrfind", "--out", out.string(), "--num-it", "60"}));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.err, Contains("suggestions smith"));
  CHECK_THAT(run.err, Contains("chosen (smith)"));

  auto json = json_of(out / "lrfind.json");
  CHECK(json["mode"] == "exp");
  CHECK(json["settings"]["start"] == 1e-7);
  CHECK(json["settings"]["end"] == 10.0);
  CHECK(json["settings"]["num_it"] == 60);
  CHECK(json["settings"]["beta"] == 0.98);
  CHECK(json["settings"]["stop_factor"] == 4.0);
  CHECK(json["model"]["spec"].get<std::string>().find("mlp") != std::string::npos);
  CHECK(json["data"]["batch_size"] == 32);
  CHECK(json["seed"] == 0);
  CHECK(json["rule"] == "smith");
  CHECK(json["judged_on"]["split"] == "none");  // exp mode: the training loss of its own batches
  for (const char* rule : {"smith", "minimum", "steep", "valley"}) {
    INFO(rule);
    REQUIRE(json["suggestions"][rule].is_number());
    CHECK(json["suggestions"][rule].get<double>() > 1e-7);
    CHECK(json["suggestions"][rule].get<double>() < 10.0);
  }
  CHECK(json["chosen"] == json["suggestions"]["smith"]);

  auto rows = csv_rows(out / "lrfind.csv");
  REQUIRE(rows.size() == json["iterations"].get<std::size_t>());
  REQUIRE(rows.size() > 10);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    REQUIRE(rows[i].size() == 6u);
    CHECK(rows[i][0] == static_cast<double>(i));
    CHECK_THAT(rows[i][1], WithinRel(1e-7 * std::pow(1e8, static_cast<double>(i) / 60.0), 1e-14));
    CHECK(std::isnan(rows[i][4]));
    CHECK(rows[i][5] == 0.0);
  }
  CHECK(fs::exists(out / "lrfind.gp"));
  if (have_gnuplot()) {
    REQUIRE(fs::exists(out / "lrfind.png"));
    CHECK(slurp(out / "lrfind.png").substr(1, 3) == "PNG");
    REQUIRE(fs::exists(out / "lrfind.svg"));
    CHECK_THAT(slurp(out / "lrfind.svg"), Contains("<svg"));
  } else {
    WARN("gnuplot not installed: figures not checked");
    CHECK_THAT(run.err, Contains("gnuplot not found"));
  }

  // Rerunning into the same folder replaces the files rather than refusing.
  auto again = run_tool(with_synthetic({"lrfind", "--out", out.string(), "--num-it", "60", "--rule", "steep", "--quiet"}));
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(json_of(out / "lrfind.json")["chosen"] == json["suggestions"]["steep"]);
}

TEST_CASE("curvtrack lrfind --mode linear is judged on training images held out from it, never the test split",
          "[integration]") {
  TempDir dir;
  fs::path out = dir.path() / "lrfind";
  // test_examples=1: were the test split used, 1 image could not give the accuracies below.
  // A teacher's labels (unlike the well separated mixture) leave the accuracy room to rise and fall.
  std::vector<std::string> arguments = with_synthetic({"lrfind", "--out", out.string(), "--mode", "linear", "--start",
                                                       "0.001", "--end", "1", "--epochs", "1", "--num-it", "8",
                                                       "--validation", "200", "--set", "data.test_examples=1", "--quiet"});
  arguments.insert(arguments.end(), {"--set", "data.dataset=teacher:1024:10:28:3"});
  auto run = run_tool(arguments);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto json = json_of(out / "lrfind.json");
  CHECK(json["mode"] == "linear");
  CHECK(json["rule"] == "smith");
  CHECK(json["judged_on"]["split"] == "validation");
  CHECK(json["judged_on"]["examples"] == 200);
  CHECK(json["data"]["train_examples"] == 1024);
  CHECK(json["data"]["sweep_examples"] == 824);
  double best = -1, best_lr = 0;
  std::set<double> distinct;
  auto rows = csv_rows(out / "lrfind.csv");
  REQUIRE(rows.size() == 824u / 32u);  // one epoch of the 824 images the sweep trains on
  for (const auto& row : rows) {
    REQUIRE(row.size() == 6u);
    if (!std::isfinite(row[4])) {
      CHECK(row[5] == 0.0);
      continue;
    }
    CHECK(row[5] == 200.0);
    // Accuracy on 200 images is a multiple of 1/200.
    CHECK_THAT(row[4] * 200.0, Catch::Matchers::WithinAbs(std::round(row[4] * 200.0), 1e-9));
    distinct.insert(row[4]);
    if (row[4] > best) best = row[4], best_lr = row[1];
  }
  REQUIRE(best >= 0);
  CHECK(distinct.size() > 1);
  CHECK(json["validation_accuracy"]["peak"].get<double>() == best_lr);
  CHECK(json["chosen"] == json["validation_accuracy"]["smith"]);
}

TEST_CASE("train with schedule.lr_max = auto records the choice, and a resumed run reuses it", "[integration]") {
  TempDir dir;
  fs::path straight = dir.path() / "straight", resumed = dir.path() / "resumed", edited = dir.path() / "edited";
  auto run = run_tool(auto_run(straight));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto meta = json_of(straight / "meta.json");
  auto lrfind = json_of(straight / "lrfind.json");
  REQUIRE(meta["status"] == "completed");
  REQUIRE(meta["lr_max_chosen"].is_number());
  CHECK(meta["lrfind_rule"] == "smith");
  CHECK(meta["lr_max_chosen"] == lrfind["chosen"]);
  CHECK(lrfind["rule"] == "smith");
  CHECK(fs::exists(straight / "lrfind.csv"));
  CHECK(slurp(straight / "config.ini").find("lr_max = auto") != std::string::npos);
  // 1cycle peaks at lr_max; the metrics log every step.
  CHECK_THAT(largest_logged_lr(straight), WithinRel(meta["lr_max_chosen"].get<double>(), 0.05));

  // Stopped by its budget after one step, then resumed: the same numbers as the straight run.
  auto first = run_tool(plus(auto_run(resumed), {"--max-time", "1"}));
  INFO(first.err);
  REQUIRE(first.exit_code == 75);
  auto second = run_tool(plus(auto_run(resumed), {"--resume", "auto"}));
  INFO(second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(json_of(resumed / "meta.json")["lr_max_chosen"] == meta["lr_max_chosen"]);
  CHECK(slurp(resumed / "metrics.csv") == slurp(straight / "metrics.csv"));
  CHECK(slurp(resumed / "checkpoints" / "step-200.pt.fnv") == slurp(straight / "checkpoints" / "step-200.pt.fnv"));

  // The resumed process takes lr_max from lrfind.json instead of searching again.
  REQUIRE(run_tool(plus(auto_run(edited), {"--max-time", "1"})).exit_code == 75);
  auto record = json_of(edited / "lrfind.json");
  // Above the found choice, so that the resumed steps log the largest lrs of the run.
  const double edited_lr = 1.5 * record["chosen"].get<double>();
  record["chosen"] = edited_lr;
  std::ofstream(edited / "lrfind.json") << record.dump(2);
  auto continued = run_tool(plus(auto_run(edited), {"--resume", "auto"}));
  INFO(continued.err);
  REQUIRE(continued.exit_code == 0);
  CHECK(json_of(edited / "meta.json")["lr_max_chosen"] == edited_lr);
  CHECK_THAT(largest_logged_lr(edited), WithinRel(edited_lr, 0.05));
}

TEST_CASE("lrfind rejects an unknown rule or mode with exit 2 naming it", "[integration]") {
  TempDir dir;
  auto bad_rule = run_tool(with_synthetic({"lrfind", "--out", (dir.path() / "a").string(), "--rule", "median"}));
  CHECK(bad_rule.exit_code == 2);
  CHECK_THAT(bad_rule.err, Contains("median"));
  CHECK_FALSE(fs::exists(dir.path() / "a" / "lrfind.json"));
  auto bad_mode = run_tool(with_synthetic({"lrfind", "--out", (dir.path() / "b").string(), "--mode", "cubic"}));
  CHECK(bad_mode.exit_code == 2);
  CHECK_THAT(bad_mode.err, Contains("cubic"));
  auto no_out = run_tool(with_synthetic({"lrfind"}));
  CHECK(no_out.exit_code == 2);
  CHECK_THAT(no_out.err, Contains("--out"));
  auto bad_config_rule = run_tool(plus(auto_run(dir.path() / "c"), {"--set", "train.lrfind_rule=median"}));
  CHECK(bad_config_rule.exit_code == 2);
  CHECK_THAT(bad_config_rule.err, Contains("median"));
}
