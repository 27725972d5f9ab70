#include "run_setup.hpp"

#include <ATen/ATen.h>
#include <torch/version.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/data/probe.hpp"
#include "curvtrack/data/sampler.hpp"
#include "curvtrack/train/checkpoint.hpp"
#include "probe_setup.hpp"
#include "run_config.hpp"

namespace po = boost::program_options;

namespace curvtrack::tool {
namespace {

// Keys whose values differ between two resolved configs, for a resume mismatch message.
std::vector<std::string> differing_keys(const core::Config& a, const core::Config& b) {
  std::vector<std::string> keys;
  for (const auto& key : a.key_names()) {
    if (a.get(key) != b.get(key)) keys.push_back(key + " (" + b.get(key) + " -> " + a.get(key) + ")");
  }
  return keys;
}

data::Dataset first_examples(const data::Dataset& full, std::int64_t count, const std::string& key) {
  if (count < 0) throw core::UsageError(key + " must be >= 0, got " + std::to_string(count));
  if (count == 0 || count == full.images.size(0)) return full;
  if (count > full.images.size(0)) {
    throw core::UsageError(key + " = " + std::to_string(count) + " but the split has " +
                           std::to_string(full.images.size(0)) + " examples");
  }
  std::vector<std::int64_t> indices(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) indices[static_cast<std::size_t>(i)] = i;
  return data::subset(full, indices);
}

data::Augmentation parse_augmentation(const std::string& text) {
  data::Augmentation augmentation;
  augmentation.random_crop = text == "crop" || text == "crop+flip";
  augmentation.horizontal_flip = text == "flip" || text == "crop+flip";
  return augmentation;
}

// schedule.lr_max = auto: the range test on the freshly initialised model, or the choice a
// previous process of this run recorded (rerunning could differ with threads or device).
double auto_lr_max(const PreparedRun& prepared, RunResources& resources) {
  const std::string rule = prepared.config.get("train.lrfind_rule");
  std::filesystem::path recorded = prepared.run.root() / kLrFinderJson;
  if (std::filesystem::exists(recorded)) {
    resources.lr_max_chosen = recorded_lr_choice(recorded, rule);
  } else {
    LrFinderRecord record = run_lr_finder_for(prepared.config, resources, lr_finder_options(prepared.config), rule);
    if (!(record.result.chosen > 0) || !std::isfinite(record.result.chosen)) {
      throw std::runtime_error("schedule.lr_max = auto: the LR range test suggests nothing (" +
                               record.result.stop_reason + "); widen it with curvtrack lrfind or set schedule.lr_max");
    }
    resources.lr_max_chosen = record.result.chosen;
    resources.lr_finder = std::move(record);
  }
  return *resources.lr_max_chosen;
}

}  // namespace

void add_run_options(po::options_description& options, RunCommandOptions& command) {
  options.add_options()
      ("config", po::value(&command.config_file), "INI run config")
      ("set", po::value(&command.assignments)->composing(), "section.key=value, overrides the file (repeatable)")
      ("run-dir", po::value(&command.run_dir), "run directory (default: runs/<run.name or run>-seed<run.seed>)")
      ("resume", po::value(&command.resume)->default_value("never"), "auto: continue the run in --run-dir from its latest good checkpoint");
  add_runtime_options(options, command.runtime);
}

PreparedRun prepare_run(const RunCommandOptions& command) {
  if (command.resume != "never" && command.resume != "auto") {
    throw core::UsageError("--resume '" + command.resume + "' is not one of never, auto");
  }
  core::Config config = resolve_run_config(command.config_file, command.assignments);

  std::string root = command.run_dir;
  if (root.empty()) {
    std::string name = config.has("run.name") ? config.get("run.name") : "run";
    root = "runs/" + name + "-seed" + config.get("run.seed");
  }
  PreparedRun prepared{std::move(config), runs::RunDirectory(root), std::nullopt, false, 1};
  const runs::RunDirectory& run = prepared.run;
  if (run.has_content()) {
    if (command.resume != "auto") {
      throw core::UsageError("run directory " + root + " already holds a run; pass --resume auto to continue it "
                             "or choose another --run-dir");
    }
    if (std::filesystem::exists(run.config())) {
      core::Config stored(run_schema());
      stored.load_file(run.config());
      if (command.config_file.empty() && command.assignments.empty()) {
        prepared.config = std::move(stored);
      } else if (auto keys = differing_keys(prepared.config, stored); !keys.empty()) {
        throw core::UsageError("cannot resume " + root + " with a different config: " + core::join(keys));
      }
    }
    runs::RunMeta meta(run.meta());
    prepared.already_completed = meta.data().value("status", "") == runs::status::kCompleted;
    prepared.resume_step = train::latest_good_checkpoint(run);
  }
  int threads = command.runtime.threads != 0 ? command.runtime.threads
                                             : static_cast<int>(prepared.config.get_int("train.threads"));
  if (command.runtime.threads == 0 && threads < 0) {
    throw core::UsageError("train.threads must be >= 0 (0: all cores), got " + std::to_string(threads));
  }
  prepared.threads = apply_threads(threads);
  prepared.quiet = command.runtime.quiet;
  return prepared;
}

RunResources load_run_resources(const PreparedRun& prepared, ScheduleNeed schedule) {
  const core::Config& config = prepared.config;
  RunResources resources;
  resources.device = config.get("train.device");
  c10::Device device = resolve_device(resources.device);
  c10::ScalarType dtype = parse_dtype(config.get("model.dtype"));

  data::DatasetSpec spec = data::parse_dataset_spec(config.get("data.dataset"));
  resources.train = first_examples(data::load_dataset(spec, data::Split::kTrain),
                                   config.get_int("data.train_examples"), "data.train_examples");
  resources.test = first_examples(data::load_dataset(spec, data::Split::kTest),
                                  config.get_int("data.test_examples"), "data.test_examples");

  std::uint64_t seed = static_cast<std::uint64_t>(config.get_int("run.seed"));
  resources.network = models::make_network(config.get("model.spec"), seed);
  resources.network->to(device, dtype);
  models::check_classifier_output(*resources.network, resources.train.images.slice(0, 0, 2).to(device, dtype),
                                  resources.train.num_classes);
  resources.network->set_training(true);

  train::OptimizerOptions optimizer;
  optimizer.name = config.get("optim.name");
  optimizer.nesterov = config.get_bool("optim.nesterov");
  optimizer.weight_decay = config.get_double("optim.weight_decay");
  optimizer.beta2 = config.get_double("optim.beta2");
  optimizer.eps = config.get_double("optim.eps");
  resources.optimizer = train::make_optimizer(resources.network->parameters(), optimizer);

  train::TrainerOptions& trainer = resources.trainer;
  trainer.batches.batch_size = config.get_int("data.batch_size");
  if (trainer.batches.batch_size < 1) {
    throw core::UsageError("data.batch_size must be >= 1, got " + std::to_string(trainer.batches.batch_size));
  }
  trainer.batches.drop_last = config.get_bool("data.drop_last");
  trainer.augmentation = parse_augmentation(config.get("data.augment"));
  trainer.data_seed = seed;
  trainer.log_every = config.get_int("train.log_every");
  trainer.eval_every = config.get_int("train.eval_every");
  trainer.checkpoint_every = config.get_int("train.checkpoint_every");
  trainer.divergence_factor = config.get_double("train.divergence_factor");
  if (trainer.log_every <= 0) throw core::UsageError("train.log_every must be >= 1");
  if (trainer.eval_every < 0 || trainer.checkpoint_every < 0) {
    throw core::UsageError("train.eval_every and train.checkpoint_every must be >= 0");
  }
  if (!(trainer.divergence_factor > 1)) throw core::UsageError("train.divergence_factor must be > 1");
  if (schedule == ScheduleNeed::kNone) return resources;

  std::int64_t per_epoch = data::batches_per_epoch(resources.train.images.size(0), trainer.batches);
  std::int64_t steps = 0;
  if (config.has("train.steps") == config.has("train.epochs")) {
    throw core::UsageError("give exactly one of train.steps and train.epochs");
  }
  steps = config.has("train.steps") ? config.get_int("train.steps") : config.get_int("train.epochs") * per_epoch;
  if (steps <= 0) {
    throw core::UsageError("the run needs at least one optimizer step: " +
                           (config.has("train.steps") ? "train.steps = " + config.get("train.steps")
                                                      : "train.epochs = " + config.get("train.epochs")));
  }
  schedules::ScheduleKeys keys = config.section("schedule");
  if (auto lr_max = keys.find("lr_max"); lr_max != keys.end() && lr_max->second == "auto") {
    lr_max->second = exact_number(auto_lr_max(prepared, resources));
  }
  resources.schedule = schedules::make_schedule(keys, steps);
  return resources;
}

void begin_meta(runs::RunMeta& meta, const PreparedRun& prepared, const RunResources& resources) {
  // Only a config that loaded and checked completely gets a run directory.
  prepared.run.create();
  core::write_file_atomically(prepared.run.config(), prepared.config.to_ini());
  if (resources.lr_finder) {
    for (const auto& warning : write_lr_finder_outputs(prepared.run.root(), *resources.lr_finder)) {
      if (!prepared.quiet) std::fprintf(stderr, "train: warning: %s\n", warning.c_str());
    }
    if (!prepared.quiet) std::fputs(lr_finder_summary(*resources.lr_finder).c_str(), stderr);
  }
  nlohmann::json& data = meta.data();
  if (resources.lr_max_chosen) {
    data["lr_max_chosen"] = *resources.lr_max_chosen;
    data["lrfind_rule"] = prepared.config.get("train.lrfind_rule");
  }
  if (!data.contains("created")) data["created"] = runs::utc_now();
  data["status"] = runs::status::kRunning;
  data["started"] = runs::utc_now();
  data["processes"] = data.value("processes", 0) + 1;
  data["git_revision"] = CURVTRACK_GIT_REVISION;
  data["curvtrack_version"] = CURVTRACK_VERSION;
  data["libtorch"] = TORCH_VERSION;
  data["threads"] = prepared.threads;
  data["device"] = resources.device;
  data["environment"] = runs::environment_info();
  data["run"] = {{"name", prepared.config.get("run.name")}, {"seed", prepared.config.get_int("run.seed")}};
  data["total_steps"] = resources.schedule->total_steps();
  data["schedule"] = resources.schedule->describe();
  data["optimizer"] = resources.optimizer->describe();
  data["model"] = {{"spec", resources.network->describe()}, {"parameters", models::parameter_count(*resources.network)}};
  data["data"] = {{"train", resources.train.source}, {"train_examples", resources.train.images.size(0)},
                  {"test_examples", resources.test.images.size(0)}};
  if (prepared.resume_step) data["resumed_from_step"] = *prepared.resume_step;
  meta.save();
}

void end_meta(runs::RunMeta& meta, const train::TrainOutcome& outcome, double train_seconds, double probe_seconds) {
  nlohmann::json& data = meta.data();
  data["status"] = outcome.status;
  data["steps_done"] = outcome.step;
  data["ended"] = runs::utc_now();
  if (!outcome.reason.empty()) data["stop_reason"] = outcome.reason;
  data["train_seconds"] = data.value("train_seconds", 0.0) + train_seconds - probe_seconds;
  data["probe_seconds"] = data.value("probe_seconds", 0.0) + probe_seconds;
  double training = data["train_seconds"].get<double>();
  data["probe_over_train"] = training > 0 ? data["probe_seconds"].get<double>() / training : 0.0;
  meta.save();
}

}  // namespace curvtrack::tool
