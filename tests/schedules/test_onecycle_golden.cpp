#include "test_prelude.hpp"

#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "curvtrack/core/text.hpp"
#include "curvtrack/schedules/schedule.hpp"

using namespace curvtrack;
using Catch::Matchers::WithinRel;
constexpr double kPi = 3.141592653589793;

namespace {

std::vector<std::vector<std::string>> read_csv(const std::string& name) {
  std::ifstream in(std::string(CURVTRACK_TEST_DATA_DIR) + "/" + name);
  REQUIRE(in.good());
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(core::split(line, ','));
  }
  REQUIRE(rows.size() > 1);
  return rows;
}

struct GoldenCase {
  schedules::ScheduleKeys keys;
  std::int64_t total_steps = 0;
};

// Cases from onecycle_cases.csv: header "case,variant,total_steps,<schedule keys...>"; empty = default.
std::map<std::string, GoldenCase> read_cases() {
  auto rows = read_csv("onecycle_cases.csv");
  const auto& header = rows.front();
  std::map<std::string, GoldenCase> cases;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    REQUIRE(rows[r].size() == header.size());
    GoldenCase golden;
    golden.keys["policy"] = "onecycle";
    for (std::size_t c = 1; c < header.size(); ++c) {
      if (header[c] == "total_steps") {
        golden.total_steps = core::parse_int(rows[r][c], "total_steps");
      } else if (!rows[r][c].empty()) {
        golden.keys[header[c]] = rows[r][c];
      }
    }
    cases[rows[r][0]] = golden;
  }
  return cases;
}

}  // namespace

TEST_CASE("onecycle torch and fastai variants reproduce the reference values to 1e-12", "[unit]") {
  auto cases = read_cases();
  auto rows = read_csv("onecycle_golden.csv");
  std::map<std::string, std::unique_ptr<schedules::Schedule>> built;
  std::map<std::string, int> compared;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    REQUIRE(row.size() == 4);
    const std::string& name = row[0];
    REQUIRE(cases.count(name) == 1);
    if (!built.count(name)) built[name] = schedules::make_schedule(cases[name].keys, cases[name].total_steps);
    std::int64_t step = core::parse_int(row[1], "step");
    double lr = core::parse_double(row[2], "lr");
    double momentum = core::parse_double(row[3], "momentum");
    INFO(name << " step " << step << ": " << built[name]->describe());
    auto value = built[name]->at(step);
    REQUIRE(value.momentum.has_value());
    CHECK_THAT(value.lr, WithinRel(lr, 1e-12));
    CHECK_THAT(*value.momentum, WithinRel(momentum, 1e-12));
    ++compared[name];
  }
  // Every case has reference values, so none is silently skipped.
  REQUIRE(compared.size() == cases.size());
  REQUIRE(compared["torch_n7"] == 7);
}

TEST_CASE("torch variant with default keys starts at lr_max/25 and ends at lr_max/25/1e4", "[unit]") {
  auto schedule = schedules::make_schedule({{"policy", "onecycle"}, {"variant", "torch"}, {"lr_max", "1"}}, 1000);
  CHECK_THAT(schedule->at(0).lr, WithinRel(1.0 / 25.0, 1e-12));
  CHECK_THAT(schedule->at(299).lr, WithinRel(1.0, 1e-12));  // end of the rise: pct_start*N - 1
  CHECK_THAT(schedule->at(999).lr, WithinRel(1.0 / 25.0 / 1e4, 1e-12));
  CHECK_THAT(*schedule->at(299).momentum, WithinRel(0.85, 1e-12));
  CHECK_THAT(*schedule->at(999).momentum, WithinRel(0.95, 1e-12));
}

TEST_CASE("fastai variant follows its published cosine formula at the phase joints", "[unit]") {
  auto schedule = schedules::make_schedule({{"policy", "onecycle"}, {"variant", "fastai"}, {"lr_max", "1"}}, 400);
  CHECK_THAT(schedule->at(0).lr, WithinRel(1.0 / 25.0, 1e-12));
  CHECK_THAT(schedule->at(100).lr, WithinRel(1.0, 1e-12));  // pos = pct_start
  CHECK_THAT(*schedule->at(100).momentum, WithinRel(0.85, 1e-12));
  // Last update: pos = 399/400, p = (399/400 - 1/4)/(3/4) = 299/300.
  double p = 299.0 / 300.0;
  double expected = 1.0 + (1.0 + std::cos(kPi * (1.0 - p))) * (1e-5 - 1.0) / 2.0;
  CHECK_THAT(schedule->at(399).lr, WithinRel(expected, 1e-12));
}
