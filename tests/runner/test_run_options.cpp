#include "test_prelude.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/runner/run_options.hpp"

using namespace curvtrack;
using Catch::Matchers::Contains;

namespace {

// The run-config defaults as the README and earlier releases documented them: the schema must
// keep every key and its default (numbers compared by value).
const std::map<std::string, std::string> kDocumentedDefaults = {
    {"data.dataset", "fashion-mnist"}, {"data.test_dataset", ""}, {"data.batch_size", "128"}, {"data.drop_last", "true"},
    {"data.augment", "none"}, {"data.train_examples", "0"}, {"data.test_examples", "0"},
    {"model.spec", "mlp:784-64-64-10:tanh"}, {"model.dtype", "float32"},
    {"optim.name", "sgd"}, {"optim.nesterov", "false"}, {"optim.weight_decay", "0"}, {"optim.beta2", "0.999"},
    {"optim.eps", "1e-8"},
    {"schedule.policy", ""}, {"schedule.variant", ""}, {"schedule.lr", ""}, {"schedule.lr_max", ""},
    {"schedule.lr_min", ""}, {"schedule.div", ""}, {"schedule.final_div", ""}, {"schedule.pct_start", ""},
    {"schedule.anneal", ""}, {"schedule.three_phase", ""}, {"schedule.mom_min", ""}, {"schedule.mom_max", ""},
    {"schedule.cycle_frac", ""}, {"schedule.annihilate", ""}, {"schedule.momentum", ""},
    {"schedule.step_size", ""}, {"schedule.gamma", ""},
    {"train.steps", ""}, {"train.epochs", ""}, {"train.log_every", "50"}, {"train.eval_every", "0"},
    {"train.checkpoint_every", "500"}, {"train.divergence_factor", "10"}, {"train.threads", "0"},
    {"train.device", "cpu"}, {"train.lrfind_rule", "smith"}, {"train.lrfind_validation", "5000"},
    {"train.loss", "cross-entropy"},
    {"curvature.at", ""}, {"curvature.probe", "train:first:4096"}, {"curvature.test_probe", "test:first:2048"},
    {"curvature.dtype", "float64"}, {"curvature.matrix", "hessian"}, {"curvature.loss", "train"},
    {"curvature.params", "all"}, {"curvature.blocks", "none"}, {"curvature.block_top_k", "0"}, {"curvature.top_k", "1"}, {"curvature.bottom_k", "0"},
    {"curvature.trace", "hutchpp"}, {"curvature.trace_samples", "30"}, {"curvature.esd", "none"},
    {"curvature.tol", "1e-8"}, {"curvature.max_hvps", "500"}, {"curvature.warm_start", "true"},
    {"curvature.bn_mode", "eval"}, {"curvature.batch_size", "1024"}, {"curvature.seed", "0"},
    {"curvature.test_hessian", "false"}, {"curvature.sharpness", "none"}, {"curvature.rho", "0.05"},
    {"curvature.eta", "0"}, {"curvature.epsilon", "1e-3"}, {"curvature.sharpness_steps", "10"},
    {"curvature.slices", "none"}, {"curvature.slice_points", "21"}, {"curvature.slice_radius", "1"},
    {"curvature.slice_seed", "0"}, {"curvature.track", "full"}, {"curvature.track_tol", "1e-3"},
    {"curvature.track_steps", "8"}, {"curvature.track_start", "extrapolated"},
    {"curvature.batch_sharpness", "none"}, {"curvature.batch_sharpness_tol", "0.01"},
    {"run.seed", "0"}, {"run.name", ""},
};

bool same_value(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char* end_a = nullptr;
  char* end_b = nullptr;
  double x = std::strtod(a.c_str(), &end_a), y = std::strtod(b.c_str(), &end_b);
  return !a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0' && x == y;
}

}  // namespace

TEST_CASE("the run schema keeps every documented key with its default", "[unit]") {
  std::vector<core::ConfigKey> schema = runner::run_schema();
  CHECK(schema.size() == kDocumentedDefaults.size());
  for (const auto& key : schema) {
    INFO(key.name << " = '" << key.default_value << "'");
    auto documented = kDocumentedDefaults.find(key.name);
    REQUIRE(documented != kDocumentedDefaults.end());
    CHECK(same_value(key.default_value, documented->second));
  }
}

TEST_CASE("a resolved config reads into typed options", "[unit]") {
  core::Config config = runner::resolve_run_config(
      "", {"data.augment=crop+flip", "model.dtype=float64", "train.epochs=3", "curvature.at=0.5,end",
           "curvature.trace=hutchinson", "curvature.esd=80x10", "curvature.bn_mode=train",
           "curvature.sharpness=both", "curvature.slices=eigen", "schedule.policy=onecycle", "schedule.lr_max=0.2",
           "optim.weight_decay=5e-4", "run.seed=7", "data.batch_size=64"});
  runner::RunOptions options = runner::read_run_options(config);
  CHECK(options.data.augment == runner::AugmentKind::kCropFlip);
  CHECK(options.data.augmentation().random_crop);
  CHECK(options.data.augmentation().horizontal_flip);
  CHECK(options.model.dtype == runner::Precision::kFloat64);
  CHECK(options.train.epochs == std::optional<std::int64_t>(3));
  CHECK_FALSE(options.train.steps.has_value());
  CHECK(options.train.loop.batches.batch_size == 64);
  CHECK(options.curvature.enabled());
  const curvature::ProbeOptions& probe = options.curvature.measures;
  CHECK(probe.trace == linalg::TraceMethod::kHutchinson);
  CHECK(probe.esd_steps == 80);
  CHECK(probe.esd_runs == 10);
  CHECK(probe.bn_mode == curvature::BatchNormMode::kTrain);
  CHECK(probe.sharpness == curvature::SharpnessSet::kBoth);
  CHECK(probe.slices == curvature::SliceSet::kEigen);
  CHECK(options.schedule == schedules::ScheduleKeys{{"policy", "onecycle"}, {"lr_max", "0.2"}});
  CHECK(options.optim.weight_decay == 5e-4);
  CHECK(options.run.seed == 7);
}

TEST_CASE("the probe record's settings keep their keys and types", "[unit]") {
  curvature::ProbeOptions probe;
  probe.esd_steps = 80;
  probe.esd_runs = 10;
  nlohmann::json settings = probe.to_json();
  nlohmann::json expected = {{"matrix", "hessian"}, {"loss", "train"}, {"params", "all"}, {"blocks", "none"},
                             {"block_top_k", 0}, {"top_k", 1}, {"bottom_k", 0}, {"trace", "hutchpp"}, {"trace_samples", 30},
                             {"esd_steps", 80}, {"esd_runs", 10}, {"tol", 1e-8}, {"max_hvps", 500},
                             {"warm_start", true}, {"bn_mode", "eval"}, {"batch_size", 1024}, {"seed", 0},
                             {"sharpness", "none"}, {"slices", "none"}, {"slice_seed", 0}, {"test_hessian", false},
                             {"track", "full"}, {"track_tol", 1e-3}, {"track_steps", 8}, {"track_start", "extrapolated"}, {"batch_sharpness_every", 0},
                             {"batch_sharpness_tol", 0.01}};
  CHECK(settings.dump() == expected.dump());
}

TEST_CASE("bad values name their key", "[unit]") {
  auto read = [](const std::string& assignment) {
    return runner::read_run_options(runner::resolve_run_config("", {assignment, "curvature.at=end"}));
  };
  CHECK_THROWS_WITH(read("curvature.esd=0x0"), Contains("curvature.esd '0x0'"));
  CHECK_THROWS_WITH(read("curvature.esd=80"), Contains("curvature.esd '80' is not of the form STEPSxRUNS"));
  CHECK_THROWS_WITH(read("curvature.top_k=two"), Contains("curvature.top_k"));
  CHECK_THROWS_WITH(read("data.batch_size=0"), Contains("data.batch_size must be >= 1"));
  CHECK_THROWS_WITH(read("curvature.trace_samples=2"), Contains("curvature.trace_samples must be >= 3"));
  CHECK_THROWS_WITH(read("optim.nesterov=maybe"), Contains("optim.nesterov") && Contains("not a boolean"));
  CHECK_THROWS_WITH(runner::resolve_run_config("", {"curvature.trace=exact"}),
                    Contains("curvature.trace='exact' is not one of: hutchpp, hutchinson, krylov, none"));
  CHECK_THROWS_WITH(runner::resolve_run_config("", {"curvature.trace_sample=5"}),
                    Contains("did you mean curvature.trace_samples"));
}

TEST_CASE("configs compare by value: spellings of one number are the same setting", "[unit]") {
  core::Config a = runner::resolve_run_config("", {"curvature.epsilon=1e-3", "schedule.policy=constant"});
  core::Config b = runner::resolve_run_config("", {"curvature.epsilon=0.001", "schedule.policy=constant"});
  CHECK(runner::differing_settings(a, b).empty());
  core::Config c = runner::resolve_run_config("", {"curvature.epsilon=0.002", "schedule.policy=constant"});
  std::vector<std::string> keys = runner::differing_settings(c, a);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0] == "curvature.epsilon (1e-3 -> 0.002)");
}

TEST_CASE("docs/options.md is the listing of every key", "[unit]") {
  std::ifstream file(std::string(CURVTRACK_SOURCE_DIR) + "/docs/options.md");
  REQUIRE(file.good());
  std::stringstream text;
  text << file.rdbuf();
  std::string listing = runner::run_options_listing();
  INFO("regenerate with: build/tools/curvtrack/curvtrack config --list > docs/options.md");
  CHECK(text.str() == listing);
  for (const auto& key : runner::run_schema()) CHECK_THAT(listing, Contains("`" + key.name + "`"));
}

TEST_CASE("a tensors: dataset needs data.test_dataset, which only a tensors: dataset takes", "[unit]") {
  auto read = [](const std::vector<std::string>& assignments) {
    return runner::read_run_options(runner::resolve_run_config("", assignments));
  };
  CHECK_THROWS_AS(read({"data.dataset=tensors:a.npz"}), core::UsageError);
  CHECK_THROWS_WITH(read({"data.dataset=tensors:a.npz"}), Contains("data.test_dataset = tensors:"));
  CHECK(read({"data.dataset=tensors:a.npz", "data.test_dataset=tensors:b.npz"}).data.test_dataset == "tensors:b.npz");
  CHECK_THROWS_WITH(read({"data.test_dataset=tensors:b.npz"}), Contains("fashion-mnist brings its own test split"));
  CHECK_THROWS_WITH(read({"data.dataset=tensors:a.npz", "data.test_dataset=mnist:/m"}),
                    Contains("data.test_dataset = mnist:/m is not a tensors: spec"));
}
