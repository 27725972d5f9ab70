#include "curvtrack/runner/prepared_run.hpp"

#include "curvtrack/models/loss.hpp"

#include <ATen/ATen.h>
#include <torch/version.h>

#include <cmath>
#include <cstdio>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/data/probe.hpp"
#include "curvtrack/data/sampler.hpp"
#include "curvtrack/train/checkpoint.hpp"
#include "curvtrack/runner/devices.hpp"
#include "curvtrack/runner/probe_setup.hpp"
#include "curvtrack/runner/tensor_data.hpp"

namespace curvtrack::runner {
namespace {

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

// schedule.lr_max = auto: the range test on the freshly initialised model, or the choice a
// previous process of this run recorded (rerunning could differ with threads or device).
double auto_lr_max(const PreparedRun& prepared, RunResources& resources) {
  const std::string& rule = prepared.options.train.lrfind_rule;
  std::filesystem::path recorded = prepared.run.root() / kLrFinderJson;
  if (std::filesystem::exists(recorded)) {
    resources.lr_max_chosen = recorded_lr_choice(recorded, rule);
  } else {
    LrFinderRecord record = run_lr_finder_for(prepared, resources, lr_finder_options(prepared.options.schedule), rule);
    if (!(record.result.chosen > 0) || !std::isfinite(record.result.chosen)) {
      std::string why = record.result.chosen_note.empty() ? record.result.stop_reason
                                                          : record.result.chosen_note + "; " + record.result.stop_reason;
      throw std::runtime_error("schedule.lr_max = auto: the LR range test's rule " + rule + " suggests nothing (" + why +
                               "); widen it with curvtrack lrfind or set schedule.lr_max");
    }
    resources.lr_max_chosen = record.result.chosen;
    resources.lr_finder = std::move(record);
  }
  return *resources.lr_max_chosen;
}

}  // namespace

PreparedRun prepare_run(const RunRequest& command) {
  core::Config config = resolve_run_config(command.config_file, command.assignments);
  RunOptions options = read_run_options(config);

  std::string root = command.run_dir;
  if (root.empty()) {
    std::string name = options.run.name.empty() ? "run" : options.run.name;
    root = "runs/" + name + "-seed" + std::to_string(static_cast<std::int64_t>(options.run.seed));
  }
  PreparedRun prepared{std::move(config), std::move(options), runs::RunDirectory(root), std::nullopt, false, 1};
  const runs::RunDirectory& run = prepared.run;
  if (run.has_content()) {
    if (!command.resume) {
      throw core::UsageError("run directory " + root + " already holds a run; pass --resume auto to continue it "
                             "or choose another --run-dir");
    }
    if (std::filesystem::exists(run.config())) {
      core::Config stored(run_schema());
      stored.load_file(run.config());
      if (command.config_file.empty() && command.assignments.empty()) {
        prepared.config = std::move(stored);
        prepared.options = read_run_options(prepared.config);
      } else if (auto keys = differing_settings(prepared.config, stored); !keys.empty()) {
        throw core::UsageError("cannot resume " + root + " with a different config: " + core::join(keys));
      }
    }
    runs::RunMeta meta(run.meta());
    prepared.already_completed = meta.record().status == runs::RunStatus::kCompleted;
    prepared.resume_step = train::latest_good_checkpoint(run);
  }
  int threads = command.threads != 0 ? command.threads : static_cast<int>(prepared.options.train.threads);
  if (command.threads == 0 && threads < 0) {
    throw core::UsageError("train.threads must be >= 0 (0: all cores), got " + std::to_string(threads));
  }
  prepared.threads = apply_threads(threads);
  prepared.quiet = command.quiet;
  return prepared;
}

RunResources load_run_resources(const PreparedRun& prepared, ScheduleNeed schedule) {
  const RunOptions& options = prepared.options;
  RunResources resources;
  resources.device = options.train.device;
  c10::Device device = resolve_device(resources.device);
  c10::ScalarType dtype = options.model.dtype == Precision::kFloat64 ? at::kDouble : at::kFloat;

  data::DatasetSpec spec = data::parse_dataset_spec(options.data.dataset);
  resources.train = first_examples(data::load_dataset(spec, data::Split::kTrain), options.data.train_examples,
                                   "data.train_examples");
  resources.test = first_examples(load_test_split(options.data, resources.train), options.data.test_examples,
                                  "data.test_examples");

  resources.network = models::make_network(options.model.spec, options.run.seed);
  resources.network->to(device, dtype);
  const at::Tensor sample = resources.train.images.slice(0, 0, 2).to(device, dtype);
  fit_classes_to_model(*resources.network, sample, resources.train);
  fit_classes_to_model(*resources.network, sample, resources.test);
  models::check_classifier_output(*resources.network, sample, resources.train.num_classes,
                                  options.curvature.enabled() ? models::Derivatives::kSecond : models::Derivatives::kFirst);
  const models::Loss loss = options.train.loop.loss;
  models::check_targets(loss, resources.train.labels, resources.train.num_classes, "data.dataset " + options.data.dataset);
  models::check_targets(loss, resources.test.labels, resources.train.num_classes, "the test split");
  if (options.curvature.enabled()) {
    const models::Loss probed = options.curvature.measures.resolve_loss(loss);
    models::check_targets(probed, resources.train.labels, resources.train.num_classes, "curvature.loss on data.dataset");
  }
  resources.network->set_training(true);
  resources.optimizer = train::make_optimizer(resources.network->parameters(), options.optim);

  train::TrainerOptions& trainer = resources.trainer;
  trainer = options.train.loop;  // batches checked with the loop by read_run_options
  trainer.augmentation = options.data.augmentation();
  check_augmentable(trainer.augmentation, resources.train);
  trainer.data_seed = options.run.seed;
  if (schedule == ScheduleNeed::kNone) return resources;

  std::int64_t per_epoch = data::batches_per_epoch(resources.train.images.size(0), trainer.batches);
  const auto& length = options.train;
  if (length.steps.has_value() == length.epochs.has_value()) {
    throw core::UsageError("give exactly one of train.steps and train.epochs");
  }
  std::int64_t steps = length.steps ? *length.steps : *length.epochs * per_epoch;
  if (steps <= 0) {
    throw core::UsageError("the run needs at least one optimizer step: " +
                           (length.steps ? "train.steps = " + std::to_string(*length.steps)
                                         : "train.epochs = " + std::to_string(*length.epochs)));
  }
  schedules::ScheduleKeys keys = options.schedule;
  if (auto lr_max = keys.find("lr_max"); lr_max != keys.end() && lr_max->second == "auto") {
    lr_max->second = exact_number(auto_lr_max(prepared, resources));
  }
  resources.schedule = schedules::make_schedule(keys, steps);
  return resources;
}

}  // namespace curvtrack::runner
