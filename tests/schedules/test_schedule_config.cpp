#include "test_prelude.hpp"

#include <set>
#include <string>
#include <vector>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/schedules/schedule.hpp"

using namespace curvtrack;
using namespace curvtrack::schedules;
using Catch::Matchers::Contains;

namespace {

// The error message of make_schedule (empty if it did not throw a UsageError).
std::string usage_error(const ScheduleKeys& keys, std::int64_t steps = 100) {
  try {
    make_schedule(keys, steps);
  } catch (const core::UsageError& error) {
    return error.what();
  }
  return "";
}

ScheduleKeys with(ScheduleKeys base, const std::string& key, const std::string& value) {
  base[key] = value;
  return base;
}

const ScheduleKeys kSmith = {{"policy", "onecycle"}, {"lr_max", "1"}};
const ScheduleKeys kTorch = {{"policy", "onecycle"}, {"variant", "torch"}, {"lr_max", "1"}};
const ScheduleKeys kFastai = {{"policy", "onecycle"}, {"variant", "fastai"}, {"lr_max", "1"}};
const ScheduleKeys kConstant = {{"policy", "constant"}, {"lr", "1"}};
const ScheduleKeys kStep = {{"policy", "step"}, {"lr", "1"}, {"step_size", "10"}};
const ScheduleKeys kCosine = {{"policy", "cosine"}, {"lr", "1"}};

struct Invalid {
  ScheduleKeys base;
  std::string key;
  std::string value;
};

}  // namespace

TEST_CASE("invalid values are usage errors naming the key and the value", "[unit]") {
  const std::vector<Invalid> cases = {
      {kTorch, "pct_start", "0"},      {kTorch, "pct_start", "1"},     {kTorch, "pct_start", "1.5"},
      {kTorch, "pct_start", "-0.1"},   {kFastai, "pct_start", "1"},    {kSmith, "cycle_frac", "0"},
      {kSmith, "cycle_frac", "1"},     {kTorch, "div", "0"},           {kSmith, "div", "-1"},
      {kFastai, "div", "0"},           {kTorch, "final_div", "0"},     {kFastai, "final_div", "-5"},
      {kSmith, "annihilate", "0.5"},   {kSmith, "lr_max", "0"},        {kTorch, "lr_max", "-1"},
      {kConstant, "lr", "0"},          {kStep, "lr", "-0.1"},          {kCosine, "lr", "0"},
      {kConstant, "momentum", "1"},    {kStep, "momentum", "-0.1"},    {kCosine, "momentum", "1.5"},
      {kTorch, "mom_max", "1"},        {kSmith, "mom_min", "-0.2"},    {kStep, "step_size", "0"},
      {kStep, "step_size", "2.5"},     {kStep, "gamma", "0"},          {kCosine, "lr_min", "2"},
      {kCosine, "lr_min", "-0.1"},     {kTorch, "anneal", "cosine"},   {kTorch, "three_phase", "yes"},
      {kTorch, "lr_max", "abc"},       {kSmith, "variant", "keras"},   {kSmith, "policy", "onecylce"},
  };
  for (const auto& c : cases) {
    std::string message = usage_error(with(c.base, c.key, c.value));
    INFO("schedule." << c.key << "=" << c.value << " -> '" << message << "'");
    CHECK_THAT(message, Contains("schedule." + c.key));
    CHECK_THAT(message, Contains(c.value));
  }
}

TEST_CASE("mom_min above mom_max is rejected naming both", "[unit]") {
  std::string message = usage_error(with(with(kTorch, "mom_min", "0.96"), "mom_max", "0.9"));
  CHECK_THAT(message, Contains("schedule.mom_min=0.96"));
  CHECK_THAT(message, Contains("schedule.mom_max=0.9"));
}

TEST_CASE("torch variant rejects the zero-length phases PyTorch divides by", "[unit]") {
  // pct_start*N - 1 == 0: PyTorch raises ZeroDivisionError in the constructor.
  CHECK_THAT(usage_error(with(kTorch, "pct_start", "0.2"), 5), Contains("schedule.pct_start=0.2"));
  // three_phase, 2*pct*N - 2 == N - 1: PyTorch raises at the scheduler step after the last update.
  CHECK_THAT(usage_error(with(with(kTorch, "pct_start", "0.6"), "three_phase", "true"), 5),
             Contains("schedule.pct_start=0.6"));
  // Neighbouring values are accepted, as PyTorch accepts them.
  CHECK(usage_error(with(kTorch, "pct_start", "0.2"), 6).empty());
  CHECK(usage_error(with(with(kTorch, "pct_start", "0.6"), "three_phase", "true"), 6).empty());
}

TEST_CASE("smith variant rejects a cycle that leaves no annihilation phase", "[unit]") {
  CHECK_THAT(usage_error(kSmith, 7), Contains("schedule.cycle_frac=0.9"));  // 6.3 >= 6
  CHECK(usage_error(kSmith, 11).empty());                                  // 9.9 < 10
}

TEST_CASE("a non-positive step count is a usage error", "[unit]") {
  CHECK_THAT(usage_error(kConstant, 0), Contains("steps"));
  CHECK_THAT(usage_error(kTorch, -3), Contains("steps"));
}

TEST_CASE("unknown keys name the nearest valid key", "[unit]") {
  CHECK_THAT(usage_error(with(kTorch, "lr_mx", "1")), Contains("schedule.lr_max"));
  CHECK_THAT(usage_error(with(kTorch, "pct_strat", "0.3")), Contains("schedule.pct_start"));
  CHECK_THAT(usage_error(with(kSmith, "anihilate", "10")), Contains("schedule.annihilate"));
}

TEST_CASE("keys the chosen policy does not use are rejected", "[unit]") {
  CHECK_THAT(usage_error(with(kTorch, "cycle_frac", "0.9")),
             Contains("schedule.cycle_frac is not used by variant=torch"));
  CHECK_THAT(usage_error(with(kSmith, "pct_start", "0.3")), Contains("not used by variant=smith"));
  CHECK_THAT(usage_error(with(kFastai, "three_phase", "true")), Contains("not used by variant=fastai"));
  CHECK_THAT(usage_error(with(kConstant, "variant", "torch")), Contains("schedule.variant is not used by policy=constant"));
  CHECK_THAT(usage_error(with(kSmith, "momentum", "0.9")), Contains("schedule.momentum"));
  CHECK_THAT(usage_error(with(kConstant, "lr_max", "1")), Contains("schedule.lr_max"));
}

TEST_CASE("required keys are named when missing", "[unit]") {
  CHECK_THAT(usage_error({{"lr", "1"}}), Contains("schedule.policy"));
  CHECK_THAT(usage_error({{"policy", "onecycle"}}), Contains("schedule.lr_max"));
  CHECK_THAT(usage_error({{"policy", "constant"}}), Contains("schedule.lr"));
  CHECK_THAT(usage_error({{"policy", "step"}, {"lr", "1"}}), Contains("schedule.step_size"));
}

TEST_CASE("schedule_keys lists every key some policy accepts", "[unit]") {
  auto keys = schedule_keys();
  CHECK(keys.size() == 17);
  const std::vector<ScheduleKeys> full = {
      {{"policy", "onecycle"}, {"variant", "smith"}, {"lr_max", "1"}, {"div", "10"}, {"cycle_frac", "0.9"},
       {"annihilate", "100"}, {"mom_min", "0.85"}, {"mom_max", "0.95"}},
      {{"policy", "onecycle"}, {"variant", "torch"}, {"lr_max", "1"}, {"div", "25"}, {"final_div", "1e4"},
       {"pct_start", "0.3"}, {"anneal", "linear"}, {"three_phase", "true"}, {"mom_min", "0.85"}, {"mom_max", "0.95"}},
      {{"policy", "step"}, {"lr", "1"}, {"step_size", "3"}, {"gamma", "0.5"}, {"momentum", "0.9"}},
      {{"policy", "cosine"}, {"lr", "1"}, {"lr_min", "0"}, {"momentum", "0.9"}}};
  std::set<std::string> used;
  for (const auto& config : full) {
    CHECK_NOTHROW(make_schedule(config, 100));
    for (const auto& entry : config) used.insert(entry.first);
  }
  CHECK(used == std::set<std::string>(keys.begin(), keys.end()));
}

TEST_CASE("describe names every parameter of the torch variant", "[unit]") {
  auto schedule = make_schedule(with(with(kTorch, "three_phase", "true"), "final_div", "1e3"), 100);
  CHECK(schedule->describe() ==
        "onecycle(variant=torch, lr_max=1, div=25, final_div=1000, pct_start=0.3, anneal=cos, three_phase=true, "
        "mom_min=0.85, mom_max=0.95, steps=100)");
}
