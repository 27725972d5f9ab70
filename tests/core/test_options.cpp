#include "test_prelude.hpp"

#include <cmath>
#include <cstdlib>
#include <random>

#include "curvtrack/core/config.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/options.hpp"

using namespace curvtrack::core;
using Catch::Matchers::Contains;

namespace {

enum class Estimator { kHutchpp, kHutchinson, kNone };
const NamedValues<Estimator> kEstimators = {
    {Estimator::kHutchpp, "hutchpp"}, {Estimator::kHutchinson, "hutchinson"}, {Estimator::kNone, "none"}};

// An options struct as a library would write one: defaults in the fields, names in bind().
struct ToyOptions {
  int top_k = 1;
  std::int64_t budget = 500;
  std::uint64_t seed = 0;
  double tol = 1e-8;
  bool warm = true;
  std::string mode = "eval";
  Estimator trace = Estimator::kHutchpp;
  std::optional<std::int64_t> steps;
  std::optional<std::string> policy;
  double hidden = 0.5;

  void bind(OptionBindings& bindings) {
    bindings.add("probe.top_k", top_k, "largest eigenvalues");
    bindings.add("probe.budget", budget, "products per solve");
    bindings.add("probe.seed", seed, "random vectors");
    bindings.add("probe.tol", tol, "relative tolerance");
    bindings.add("probe.warm", warm, "warm starts");
    bindings.add("probe.mode", mode, "BatchNorm mode", {"eval", "train"});
    bindings.add("probe.trace", trace, "trace estimator", kEstimators);
    bindings.add("probe.hidden", hidden, "not in records", Recorded::kNo);
    bindings.add("train.steps", steps, "optimizer updates");
    bindings.add("schedule.policy", policy, "learning-rate policy", {"constant", "onecycle"});
  }
};

}  // namespace

TEST_CASE("bindings give the schema its defaults and choices from the fields", "[unit]") {
  ToyOptions options;
  OptionBindings bindings;
  options.bind(bindings);
  std::vector<ConfigKey> schema = bindings.schema();
  REQUIRE(schema.size() == 10);
  CHECK(schema[0].name == "probe.top_k");
  CHECK(schema[0].default_value == "1");
  CHECK(schema[3].default_value == "1e-8");
  CHECK(schema[4].default_value == "true");
  CHECK(schema[5].choices == std::vector<std::string>{"eval", "train"});
  CHECK(schema[6].default_value == "hutchpp");
  CHECK(schema[6].choices == std::vector<std::string>{"hutchpp", "hutchinson", "none"});
  CHECK(schema[8].default_value.empty());
}

TEST_CASE("reading a resolved config sets every bound field, enums by name", "[unit]") {
  ToyOptions options;
  OptionBindings bindings;
  options.bind(bindings);
  Config config(bindings.schema());
  config.set("probe.top_k=5");
  config.set("probe.tol=1e-3");
  config.set("probe.warm=no");
  config.set("probe.trace=hutchinson");
  config.set("probe.seed=-1");
  config.set("train.steps=300");
  bindings.read(config);
  CHECK(options.top_k == 5);
  CHECK(options.budget == 500);
  CHECK(options.tol == 1e-3);
  CHECK_FALSE(options.warm);
  CHECK(options.trace == Estimator::kHutchinson);
  CHECK(options.seed == static_cast<std::uint64_t>(-1));
  CHECK(options.steps == std::optional<std::int64_t>(300));
  CHECK_FALSE(options.policy.has_value());

  config.set("train.steps=");  // an empty value drops it again
  bindings.read(config);
  CHECK_FALSE(options.steps.has_value());
}

TEST_CASE("a value the field cannot hold is a usage error naming the key", "[unit]") {
  ToyOptions options;
  OptionBindings bindings;
  options.bind(bindings);
  Config config(bindings.schema());
  config.set("probe.top_k=3000000000");
  CHECK_THROWS_WITH(bindings.read(config), Contains("probe.top_k") && Contains("out of range"));
  config.set("probe.top_k=two");
  CHECK_THROWS_AS(bindings.read(config), UsageError);
  CHECK_THROWS_WITH(bindings.read(config), Contains("probe.top_k"));
  config.set("probe.top_k=2");
  config.set("probe.warm=maybe");
  CHECK_THROWS_WITH(bindings.read(config), Contains("probe.warm") && Contains("not a boolean"));
  CHECK_THROWS_WITH(config.set("probe.trace=exact"), Contains("probe.trace='exact' is not one of: hutchpp, hutchinson, none"));
}

TEST_CASE("canonical texts compare settings by value, not by spelling", "[unit]") {
  auto canonical_of = [](const std::string& tol) {
    ToyOptions options;
    OptionBindings bindings;
    options.bind(bindings);
    Config config(bindings.schema());
    config.set("probe.tol", tol);
    bindings.read(config);
    return bindings.canonical();
  };
  CHECK(canonical_of("1e-3") == canonical_of("0.001"));
  CHECK(canonical_of("1e-3") != canonical_of("0.0011"));
}

TEST_CASE("settings JSON holds the recorded fields of a section with their types", "[unit]") {
  ToyOptions options;
  OptionBindings bindings;
  options.bind(bindings);
  nlohmann::json probe = bindings.settings("probe");
  CHECK(probe.size() == 7);
  CHECK(probe["top_k"] == 1);
  CHECK(probe["tol"] == 1e-8);
  CHECK(probe["trace"] == "hutchpp");
  CHECK(probe["warm"] == true);
  CHECK_FALSE(probe.contains("hidden"));
  CHECK(bindings.settings("train").empty());  // an unset optional is not recorded
}

TEST_CASE("the listing names every key with its type, default and choices", "[unit]") {
  ToyOptions options;
  OptionBindings bindings;
  options.bind(bindings);
  std::string listing = bindings.listing();
  for (const auto& binding : bindings.all()) CHECK_THAT(listing, Contains("`" + binding.name + "`"));
  CHECK_THAT(listing, Contains("| `probe.trace` | choice | `hutchpp` | hutchpp, hutchinson, none | trace estimator |"));
  CHECK_THAT(listing, Contains("| `train.steps` | integer | (unset) |"));
  CHECK_THAT(listing, Contains("## [schedule]"));
}

TEST_CASE("a key bound twice is a programming error", "[unit]") {
  int a = 0, b = 0;
  OptionBindings bindings;
  bindings.add("x.a", a, "a");
  CHECK_THROWS_AS(bindings.add("x.a", b, "b"), std::invalid_argument);
}

TEST_CASE("exact_text is the shortest text that parses back exactly", "[unit]") {
  CHECK(exact_text(1e-8) == "1e-8");
  CHECK(exact_text(0.05) == "0.05");
  CHECK(exact_text(30) == "30");
  CHECK(exact_text(0.999) == "0.999");
  CHECK(exact_text(1e20) == "1e20");
  CHECK(exact_text(-2.5e-12) == "-2.5e-12");
  CHECK(exact_text(1e-3) == "1e-3");
  CHECK(exact_text(5e-4) == "5e-4");
  CHECK(exact_text(0.25) == "0.25");
  CHECK(exact_text(1) == "1");
  CHECK(exact_text(0) == "0");
  CHECK(exact_text(123456789) == "123456789");
  std::mt19937_64 random(20261207);
  std::uniform_real_distribution<double> exponent(-300, 300);
  for (int i = 0; i < 2000; ++i) {
    double value = std::pow(10.0, exponent(random)) * (i % 2 ? -1 : 1) * (1 + (random() % 1000) / 7.0);
    std::string text = exact_text(value);
    INFO(text);
    REQUIRE(std::strtod(text.c_str(), nullptr) == value);
  }
}
