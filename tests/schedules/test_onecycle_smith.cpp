#include "test_prelude.hpp"

#include "curvtrack/schedules/onecycle.hpp"
#include "curvtrack/schedules/schedule.hpp"

using namespace curvtrack::schedules;
using Catch::Matchers::WithinRel;

TEST_CASE("smith onecycle passes through its defining points", "[unit]") {
  // N = 1000, cycle_frac 0.9: peak at 450, cycle ends at 900, annihilation ends at 999.
  auto schedule = make_schedule({{"policy", "onecycle"}, {"lr_max", "2"}}, 1000);
  const double low = 2.0 / 10.0;
  CHECK_THAT(schedule->at(0).lr, WithinRel(low, 1e-12));
  CHECK_THAT(schedule->at(225).lr, WithinRel((low + 2.0) / 2.0, 1e-12));  // linear: halfway up
  CHECK_THAT(schedule->at(450).lr, WithinRel(2.0, 1e-12));
  CHECK_THAT(schedule->at(675).lr, WithinRel((low + 2.0) / 2.0, 1e-12));
  CHECK_THAT(schedule->at(900).lr, WithinRel(low, 1e-12));
  CHECK_THAT(schedule->at(999).lr, WithinRel(2.0 / (10.0 * 100.0), 1e-12));
}

TEST_CASE("smith onecycle rises to the peak then falls monotonically to the end", "[unit]") {
  for (std::int64_t n : {101, 1000, 1237}) {
    auto schedule = make_schedule({{"policy", "onecycle"}, {"variant", "smith"}, {"lr_max", "1"}}, n);
    const double peak = 0.9 * static_cast<double>(n) / 2.0;
    INFO("steps " << n);
    for (std::int64_t t = 1; t < n; ++t) {
      double previous = schedule->at(t - 1).lr;
      double current = schedule->at(t).lr;
      INFO("step " << t);
      if (static_cast<double>(t) <= peak) {
        CHECK(current > previous);
      } else if (static_cast<double>(t - 1) >= peak) {
        CHECK(current < previous);
      }
      CHECK(current <= 1.0 + 1e-15);
    }
    CHECK_THAT(schedule->at(n - 1).lr, WithinRel(1.0 / 1000.0, 1e-12));
  }
}

TEST_CASE("smith momentum mirrors the rate and is held at mom_max while annihilating", "[unit]") {
  auto schedule = make_schedule({{"policy", "onecycle"}, {"lr_max", "1"}, {"mom_min", "0.8"}, {"mom_max", "0.9"}}, 200);
  // cycle_frac*N = 180: peak at 90.
  CHECK_THAT(*schedule->at(0).momentum, WithinRel(0.9, 1e-12));
  CHECK_THAT(*schedule->at(45).momentum, WithinRel(0.85, 1e-12));
  CHECK_THAT(*schedule->at(90).momentum, WithinRel(0.8, 1e-12));
  CHECK_THAT(*schedule->at(180).momentum, WithinRel(0.9, 1e-12));
  double lowest = 1.0;
  for (std::int64_t t = 0; t < 200; ++t) lowest = std::min(lowest, *schedule->at(t).momentum);
  CHECK_THAT(lowest, WithinRel(0.8, 1e-12));
  for (std::int64_t t = 181; t < 200; ++t) CHECK(*schedule->at(t).momentum == 0.9);
}

TEST_CASE("smith onecycle honours div, cycle_frac and annihilate", "[unit]") {
  SmithOneCycleOptions options;
  options.lr_max = 0.4;
  options.div = 4.0;
  options.cycle_frac = 0.5;
  options.annihilate = 10.0;
  SmithOneCycle schedule(options, 400);  // peak 100, cycle end 200
  CHECK_THAT(schedule.at(0).lr, WithinRel(0.1, 1e-12));
  CHECK_THAT(schedule.at(100).lr, WithinRel(0.4, 1e-12));
  CHECK_THAT(schedule.at(200).lr, WithinRel(0.1, 1e-12));
  CHECK_THAT(schedule.at(399).lr, WithinRel(0.01, 1e-12));
  CHECK(schedule.describe() ==
        "onecycle(variant=smith, lr_max=0.4, div=4, cycle_frac=0.5, annihilate=10, mom_min=0.85, mom_max=0.95, "
        "steps=400)");
}
