// The [schedule] section -> a Schedule: key checks, parsing, defaults per policy and variant.
#include <algorithm>
#include <set>

#include "checks.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/schedules/basic.hpp"
#include "curvtrack/schedules/onecycle.hpp"
#include "curvtrack/schedules/schedule.hpp"

namespace curvtrack::schedules {

namespace {

using core::UsageError;

const std::vector<std::string> kPolicies = {"constant", "onecycle", "step", "cosine"};
const std::vector<std::string> kVariants = {"smith", "torch", "fastai"};

// Every [schedule] key, with its meaning; defaults are the policies' own (ScheduleOptions structs).
struct KeySpec {
  std::string name;
  std::string help;
  std::vector<std::string> choices;
};
const std::vector<KeySpec> kKeys = {
    {"policy", "learning-rate policy", kPolicies},
    {"variant", "onecycle variant", kVariants},
    {"lr", "learning rate (constant, step) or rate at step 0 (cosine)", {}},
    {"lr_max", "onecycle peak learning rate, or auto to run the LR range test first", {}},
    {"lr_min", "cosine: rate at the last step", {}},
    {"div", "onecycle: initial rate is lr_max/div", {}},
    {"final_div", "onecycle torch/fastai: final rate is initial/final_div", {}},
    {"pct_start", "onecycle torch/fastai: fraction of steps spent rising", {}},
    {"anneal", "onecycle torch: interpolation within a phase", {}},
    {"three_phase", "onecycle torch: initial->max->initial->min", {}},
    {"mom_min", "onecycle: momentum at the peak rate", {}},
    {"mom_max", "onecycle: momentum at the ends", {}},
    {"cycle_frac", "onecycle smith: fraction of steps taken by the cycle", {}},
    {"annihilate", "onecycle smith: final rate is lr_max/(div*annihilate)", {}},
    {"momentum", "constant/step/cosine: fixed momentum (Adam: beta1)", {}},
    {"step_size", "step: updates between decays", {}},
    {"gamma", "step: factor per decay", {}},
};

// Keys each policy (or onecycle variant) reads; any other given key is rejected.
const std::vector<std::string> kConstantKeys = {"policy", "lr", "momentum"};
const std::vector<std::string> kStepKeys = {"policy", "lr", "step_size", "gamma", "momentum"};
const std::vector<std::string> kCosineKeys = {"policy", "lr", "lr_min", "momentum"};
const std::vector<std::string> kSmithKeys = {"policy", "variant", "lr_max",  "div",
                                             "cycle_frac", "annihilate", "mom_min", "mom_max"};
const std::vector<std::string> kTorchKeys = {"policy", "variant", "lr_max", "div", "final_div", "pct_start",
                                             "anneal", "three_phase", "mom_min", "mom_max"};
const std::vector<std::string> kFastaiKeys = {"policy", "variant", "lr_max", "div", "final_div",
                                              "pct_start", "mom_min", "mom_max"};

// Reads typed values out of the section, naming the key in every error.
class KeyReader {
 public:
  explicit KeyReader(const ScheduleKeys& keys) : keys_(keys) {}

  bool has(const std::string& key) const { return keys_.count(key) > 0; }

  std::string text(const std::string& key, const std::string& fallback) const {
    return has(key) ? core::trim(keys_.at(key)) : fallback;
  }

  void require(const std::string& key, const std::string& why) const {
    if (!has(key)) throw UsageError("schedule." + key + " is required for " + why);
  }

  double number(const std::string& key, double fallback) const {
    return has(key) ? core::parse_double(keys_.at(key), "schedule." + key) : fallback;
  }

  std::int64_t integer(const std::string& key) const {
    return core::parse_int(keys_.at(key), "schedule." + key);
  }

  // Text restricted to a closed set, e.g. policy or anneal.
  std::string choice(const std::string& key, const std::string& fallback, const std::vector<std::string>& allowed) const {
    std::string value = text(key, fallback);
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      throw UsageError("schedule." + key + "='" + value + "' is not one of: " + core::join(allowed));
    }
    return value;
  }

  // Rejects given keys that `used` does not list: they would be silently ignored otherwise.
  void reject_unused(const std::vector<std::string>& used, const std::string& chosen) const {
    for (const auto& entry : keys_) {
      if (std::find(used.begin(), used.end(), entry.first) == used.end()) {
        throw UsageError("schedule." + entry.first + " is not used by " + chosen + " (it uses: " +
                         core::join(used) + ")");
      }
    }
  }

 private:
  const ScheduleKeys& keys_;
};

void reject_unknown(const ScheduleKeys& keys) {
  const std::vector<std::string> valid = schedule_keys();
  for (const auto& entry : keys) {
    if (std::find(valid.begin(), valid.end(), entry.first) == valid.end()) {
      throw UsageError("unknown key schedule." + entry.first + "; did you mean schedule." +
                       core::nearest(entry.first, valid) + "? (valid keys: " + core::join(valid) + ")");
    }
  }
}

std::unique_ptr<Schedule> make_onecycle(const KeyReader& reader, std::int64_t total_steps) {
  const std::string variant = reader.choice("variant", "smith", kVariants);
  const std::string chosen = "variant=" + variant;
  if (variant == "smith") {
    reader.reject_unused(kSmithKeys, chosen);
    reader.require("lr_max", "policy=onecycle");
    SmithOneCycleOptions options;
    options.lr_max = reader.number("lr_max", options.lr_max);
    options.div = reader.number("div", options.div);
    options.cycle_frac = reader.number("cycle_frac", options.cycle_frac);
    options.annihilate = reader.number("annihilate", options.annihilate);
    options.mom_min = reader.number("mom_min", options.mom_min);
    options.mom_max = reader.number("mom_max", options.mom_max);
    return std::make_unique<SmithOneCycle>(options, total_steps);
  }
  if (variant == "torch") {
    reader.reject_unused(kTorchKeys, chosen);
    reader.require("lr_max", "policy=onecycle");
    TorchOneCycleOptions options;
    options.lr_max = reader.number("lr_max", options.lr_max);
    options.div = reader.number("div", options.div);
    options.final_div = reader.number("final_div", options.final_div);
    options.pct_start = reader.number("pct_start", options.pct_start);
    options.anneal = reader.choice("anneal", "cos", {"cos", "linear"}) == "cos" ? Anneal::kCos : Anneal::kLinear;
    options.three_phase = reader.choice("three_phase", "false", {"true", "false"}) == "true";
    options.mom_min = reader.number("mom_min", options.mom_min);
    options.mom_max = reader.number("mom_max", options.mom_max);
    return std::make_unique<TorchOneCycle>(options, total_steps);
  }
  reader.reject_unused(kFastaiKeys, chosen);
  reader.require("lr_max", "policy=onecycle");
  FastaiOneCycleOptions options;
  options.lr_max = reader.number("lr_max", options.lr_max);
  options.div = reader.number("div", options.div);
  options.final_div = reader.number("final_div", options.final_div);
  options.pct_start = reader.number("pct_start", options.pct_start);
  options.mom_min = reader.number("mom_min", options.mom_min);
  options.mom_max = reader.number("mom_max", options.mom_max);
  return std::make_unique<FastaiOneCycle>(options, total_steps);
}

}  // namespace

std::vector<std::string> schedule_keys() {
  std::vector<std::string> names;
  for (const auto& key : kKeys) names.push_back(key.name);
  return names;
}

void bind_schedule_keys(core::OptionBindings& bindings, ScheduleKeys& keys) {
  for (const auto& key : kKeys) {
    core::OptionBinding binding{"schedule." + key.name, key.choices.empty() ? "text" : "choice", key.help,
                                key.choices, {}, {}, {}, {}};
    binding.parse = [&keys, name = key.name](const std::string& text) {
      if (text.empty()) {
        keys.erase(name);
      } else {
        keys[name] = text;
      }
    };
    binding.format = [&keys, name = key.name] {
      auto found = keys.find(name);
      return found == keys.end() ? std::string() : found->second;
    };
    bindings.add_custom(std::move(binding));
  }
}

std::unique_ptr<Schedule> make_schedule(const ScheduleKeys& keys, std::int64_t total_steps) {
  reject_unknown(keys);
  detail::check_total_steps(total_steps);
  KeyReader reader(keys);
  reader.require("policy", "every schedule (one of: constant, onecycle, step, cosine)");
  const std::string policy = reader.choice("policy", "", kPolicies);
  if (policy == "onecycle") return make_onecycle(reader, total_steps);

  const std::string chosen = "policy=" + policy;
  if (policy == "constant") {
    reader.reject_unused(kConstantKeys, chosen);
    reader.require("lr", chosen);
    ConstantOptions options;
    options.lr = reader.number("lr", options.lr);
    options.momentum = reader.number("momentum", options.momentum);
    return std::make_unique<ConstantSchedule>(options, total_steps);
  }
  if (policy == "step") {
    reader.reject_unused(kStepKeys, chosen);
    reader.require("lr", chosen);
    reader.require("step_size", chosen);
    StepOptions options;
    options.lr = reader.number("lr", options.lr);
    options.step_size = reader.integer("step_size");
    options.gamma = reader.number("gamma", options.gamma);
    options.momentum = reader.number("momentum", options.momentum);
    return std::make_unique<StepSchedule>(options, total_steps);
  }
  reader.reject_unused(kCosineKeys, chosen);
  reader.require("lr", chosen);
  CosineOptions options;
  options.lr = reader.number("lr", options.lr);
  options.lr_min = reader.number("lr_min", options.lr_min);
  options.momentum = reader.number("momentum", options.momentum);
  return std::make_unique<CosineSchedule>(options, total_steps);
}

}  // namespace curvtrack::schedules
