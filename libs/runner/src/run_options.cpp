#include "curvtrack/runner/run_options.hpp"

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/train/lr_finder.hpp"

namespace curvtrack::runner {
namespace {

// A fresh RunOptions read from `config`, with the bindings that read it (they point into it).
struct BoundRun {
  RunOptions options;
  core::OptionBindings bindings;
  explicit BoundRun(const core::Config& config) {
    options.bind(bindings);
    bindings.read(config);
  }
};

}  // namespace

const core::NamedValues<AugmentKind>& augment_names() {
  static const core::NamedValues<AugmentKind> names = {{AugmentKind::kNone, "none"},
                                                       {AugmentKind::kCrop, "crop"},
                                                       {AugmentKind::kFlip, "flip"},
                                                       {AugmentKind::kCropFlip, "crop+flip"}};
  return names;
}

const core::NamedValues<Precision>& precision_names() {
  static const core::NamedValues<Precision> names = {{Precision::kFloat32, "float32"}, {Precision::kFloat64, "float64"}};
  return names;
}

void DataOptions::bind(core::OptionBindings& bindings) {
  bindings.add("data.dataset", dataset,
               "dataset spec: fashion-mnist[:DIR], mnist:DIR, kmnist:DIR, cifar10:DIR, cifar100:DIR, "
               "gmm:N:C:SIDE:SEED, teacher:N:C:SIDE:SEED, tensors:FILE.npz or tensors:X.npy,Y.npy "
               "(your own arrays x and y, used as given: no normalisation)");
  bindings.add("data.test_dataset", test_dataset,
               "held-out examples of a tensors: dataset (required then): tensors:FILE.npz or tensors:X.npy,Y.npy");
  bindings.add("data.batch_size", batches.batch_size, "examples per optimizer step");
  bindings.add("data.drop_last", batches.drop_last, "drop the last incomplete batch of an epoch");
  bindings.add("data.augment", augment, "training augmentation", augment_names());
  bindings.add("data.train_examples", train_examples, "use the first N training examples (0: all)");
  bindings.add("data.test_examples", test_examples, "evaluate on the first N test examples (0: all)");
}

namespace {

std::string spec_name(const std::string& spec) {
  const std::string text = core::trim(spec);
  return text.substr(0, text.find(':'));
}

}  // namespace

void DataOptions::check() const {
  const bool tensors = spec_name(dataset) == "tensors";
  const bool held_out = !core::trim(test_dataset).empty();
  if (tensors && !held_out) {
    throw core::UsageError("data.dataset = " + dataset + " holds the training examples only: name the held-out "
                           "examples with data.test_dataset = tensors:FILE.npz (or tensors:X.npy,Y.npy)");
  }
  if (held_out && !tensors) {
    throw core::UsageError("data.test_dataset = " + test_dataset + " goes with a tensors: data.dataset; " + dataset +
                           " brings its own test split: leave data.test_dataset empty");
  }
  if (held_out && spec_name(test_dataset) != "tensors") {
    throw core::UsageError("data.test_dataset = " + test_dataset + " is not a tensors: spec; accepted: "
                           "tensors:FILE.npz or tensors:X.npy,Y.npy");
  }
}

data::Augmentation DataOptions::augmentation() const {
  data::Augmentation augmentation;
  augmentation.random_crop = augment == AugmentKind::kCrop || augment == AugmentKind::kCropFlip;
  augmentation.horizontal_flip = augment == AugmentKind::kFlip || augment == AugmentKind::kCropFlip;
  return augmentation;
}

void ModelOptions::bind(core::OptionBindings& bindings) {
  bindings.add("model.spec", spec,
               "mlp:W0-..-Wn:ACT, cnn:C1-C2:ACT[:bn], resnet:DEPTH[:bn|nobn], or a TorchScript .pt file");
  bindings.add("model.dtype", dtype, "training precision", precision_names());
}

void TrainOptions::bind(core::OptionBindings& bindings) {
  bindings.add("train.steps", steps, "optimizer updates (or give train.epochs)");
  bindings.add("train.epochs", epochs, "epochs, converted to steps with the batch plan");
  loop.bind(bindings);
  bindings.add("train.threads", threads, "intra-op threads (0: all cores)");
  bindings.add("train.device", device, "auto | cpu | cuda[:N]");
  bindings.add("train.lrfind_rule", lrfind_rule,
               "LR-finder rule: which suggestion becomes lr_max = auto and lrfind's choice "
               "(smith: the largest lr still improving before the curve turns)",
               train::lr_finder_rules());
  bindings.add("train.lrfind_validation", lrfind_validation,
               "lrfind --mode linear: training images held out (seeded) to judge it by accuracy; "
               "the sweep trains on the rest, the test split is never used");
}

void TrackingOptions::bind(core::OptionBindings& bindings) {
  bindings.add("curvature.at", at,
               "probe points: fractions in [0,1], peak, end, every:K, log:N (comma list; empty: no probing)");
  bindings.add("curvature.probe", probe,
               "Hessian probe set: SPLIT:first:N | SPLIT:random:N:SEED | SPLIT:all");
  bindings.add("curvature.test_probe", test_probe, "set for test loss/accuracy at each probe (none: skip)");
  bindings.add("curvature.dtype", dtype, "precision of the probes", precision_names());
  measures.bind(bindings);
}

bool TrackingOptions::enabled() const { return !core::trim(at).empty(); }

void RunLabel::bind(core::OptionBindings& bindings) {
  bindings.add("run.seed", seed, "seed of initialisation, data order and augmentation");
  bindings.add("run.name", name, "a label for reports");
}

void RunOptions::bind(core::OptionBindings& bindings) {
  data.bind(bindings);
  model.bind(bindings);
  optim.bind(bindings);
  schedules::bind_schedule_keys(bindings, schedule);
  train.bind(bindings);
  curvature.bind(bindings);
  run.bind(bindings);
}

std::vector<core::ConfigKey> run_schema() {
  RunOptions defaults;
  core::OptionBindings bindings;
  defaults.bind(bindings);
  return bindings.schema();
}

core::Config resolve_run_config(const std::string& file, const std::vector<std::string>& assignments) {
  core::Config config(run_schema());
  if (!file.empty()) config.load_file(file);
  for (const auto& assignment : assignments) config.set(assignment);
  return config;
}

RunOptions read_run_options(const core::Config& config) {
  BoundRun bound(config);
  RunOptions options = bound.options;
  options.data.check();
  options.optim.check();
  options.train.loop.batches = options.data.batches;
  options.train.loop.check();
  if (options.train.lrfind_validation < 1) {
    throw core::UsageError("train.lrfind_validation = " + std::to_string(options.train.lrfind_validation) +
                           " must be >= 1 (training images the linear range test holds out)");
  }
  if (options.curvature.enabled()) options.curvature.measures.check();
  return options;
}

std::vector<std::string> differing_settings(const core::Config& a, const core::Config& b) {
  std::map<std::string, std::string> first = BoundRun(a).bindings.canonical();
  std::map<std::string, std::string> second = BoundRun(b).bindings.canonical();
  std::vector<std::string> keys;
  for (const auto& key : a.key_names()) {
    if (first[key] != second[key]) keys.push_back(key + " (" + b.get(key) + " -> " + a.get(key) + ")");
  }
  return keys;
}

std::string run_options_listing() {
  RunOptions defaults;
  core::OptionBindings bindings;
  defaults.bind(bindings);
  return "# Run configuration keys\n\n"
         "Every key of a run config (`curvtrack train --config`, study files, `--set section.key=value`),\n"
         "as `curvtrack config --list` prints it. An unset key takes its default; `(unset)` means the key\n"
         "has none ([schedule]: each policy applies its own, see docs/methods.md section 1).\n\n" +
         bindings.listing();
}

}  // namespace curvtrack::runner
