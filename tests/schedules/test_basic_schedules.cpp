#include "test_prelude.hpp"

#include <cmath>

#include "curvtrack/schedules/schedule.hpp"

using namespace curvtrack::schedules;
using Catch::Matchers::WithinRel;
constexpr double kPi = 3.141592653589793;

TEST_CASE("constant policy returns lr and the fixed momentum at every step", "[unit]") {
  auto schedule = make_schedule({{"policy", "constant"}, {"lr", "0.05"}}, 10);
  for (std::int64_t t = 0; t < 10; ++t) {
    CHECK(schedule->at(t).lr == 0.05);
    CHECK(schedule->at(t).momentum == 0.9);
  }
  CHECK(schedule->total_steps() == 10);
  CHECK(schedule->describe() == "constant(lr=0.05, momentum=0.9, steps=10)");
}

TEST_CASE("step policy multiplies by gamma every step_size updates", "[unit]") {
  auto schedule =
      make_schedule({{"policy", "step"}, {"lr", "1"}, {"step_size", "3"}, {"gamma", "0.5"}, {"momentum", "0"}}, 10);
  const double expected[] = {1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125};
  for (std::int64_t t = 0; t < 10; ++t) CHECK_THAT(schedule->at(t).lr, WithinRel(expected[t], 1e-15));
  CHECK(schedule->at(0).momentum == 0.0);
}

TEST_CASE("cosine policy falls from lr to lr_min over the run", "[unit]") {
  auto schedule = make_schedule({{"policy", "cosine"}, {"lr", "1"}, {"lr_min", "0.1"}}, 101);
  CHECK_THAT(schedule->at(0).lr, WithinRel(1.0, 1e-15));
  CHECK_THAT(schedule->at(50).lr, WithinRel(0.55, 1e-12));
  CHECK_THAT(schedule->at(25).lr, WithinRel(0.1 + 0.9 * (1 + std::cos(kPi / 4)) / 2, 1e-12));
  CHECK_THAT(schedule->at(100).lr, WithinRel(0.1, 1e-12));
  auto single = make_schedule({{"policy", "cosine"}, {"lr", "0.3"}}, 1);
  CHECK(single->at(0).lr == 0.3);
}

TEST_CASE("every policy rejects steps outside 0..total_steps-1", "[unit]") {
  std::vector<ScheduleKeys> configs = {{{"policy", "constant"}, {"lr", "1"}},
                                       {{"policy", "step"}, {"lr", "1"}, {"step_size", "2"}},
                                       {{"policy", "cosine"}, {"lr", "1"}},
                                       {{"policy", "onecycle"}, {"lr_max", "1"}},
                                       {{"policy", "onecycle"}, {"variant", "torch"}, {"lr_max", "1"}},
                                       {{"policy", "onecycle"}, {"variant", "fastai"}, {"lr_max", "1"}}};
  for (const auto& keys : configs) {
    auto schedule = make_schedule(keys, 50);
    INFO(schedule->describe());
    CHECK_NOTHROW(schedule->at(49));
    CHECK_THROWS_AS(schedule->at(50), std::invalid_argument);
    CHECK_THROWS_AS(schedule->at(-1), std::invalid_argument);
  }
}
