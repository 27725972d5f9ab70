#pragma once
// Every option of a training run, declared once: the run-level keys here, the rest by the
// options structs of the libraries that use them (optimizer, trainer loop, schedule, probe).
// The bindings give the schema of a run config, its reading into typed fields, and the
// listing behind `curvtrack config --list` and docs/options.md.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "curvtrack/core/config.hpp"
#include "curvtrack/core/options.hpp"
#include "curvtrack/curvature/probe.hpp"
#include "curvtrack/data/augment.hpp"
#include "curvtrack/data/sampler.hpp"
#include "curvtrack/schedules/schedule.hpp"
#include "curvtrack/train/optimizer.hpp"
#include "curvtrack/train/trainer.hpp"

namespace curvtrack::runner {

/// Floating-point precision of training or probes.
enum class Precision { kFloat32, kFloat64 };
/// Spellings of the precisions in configs and records.
const core::NamedValues<Precision>& precision_names();

/// How training batches are augmented.
enum class AugmentKind { kNone, kCrop, kFlip, kCropFlip };
/// Spellings of the augmentations in configs and records.
const core::NamedValues<AugmentKind>& augment_names();

/// [data]: the dataset, the batches and how many examples of each split are used.
struct DataOptions {
  std::string dataset = "fashion-mnist";  ///< dataset spec (data::parse_dataset_spec)
  std::string test_dataset;               ///< held-out tensors: file of a tensors: dataset (required then)
  data::BatchPlan batches;                ///< batch_size and drop_last
  AugmentKind augment = AugmentKind::kNone;
  std::int64_t train_examples = 0;        ///< first N training examples (0: all)
  std::int64_t test_examples = 0;         ///< first N test examples (0: all)
  void bind(core::OptionBindings& bindings);
  /// Throws core::UsageError naming data.test_dataset when a tensors: dataset lacks it, or
  /// when it is given for another dataset or is not a tensors: spec.
  void check() const;
  /// The augmentation `augment` names.
  data::Augmentation augmentation() const;
};

/// [model]: which network, in which precision.
struct ModelOptions {
  std::string spec = "mlp:784-64-64-10:tanh";  ///< native spec or TorchScript file
  Precision dtype = Precision::kFloat32;
  void bind(core::OptionBindings& bindings);
};

/// [train]: length, loop settings, threads, device and the LR finder rule for lr_max = auto.
struct TrainOptions {
  std::optional<std::int64_t> steps;   ///< optimizer updates (exactly one of steps and epochs)
  std::optional<std::int64_t> epochs;  ///< epochs, converted to steps with the batch plan
  train::TrainerOptions loop;          ///< log_every, eval_every, checkpoint_every, divergence_factor
  std::int64_t threads = 0;            ///< intra-op threads (0: all cores)
  std::string device = "cpu";          ///< auto | cpu | cuda[:N]
  std::string lrfind_rule = "smith";   ///< which LR-finder suggestion becomes lr_max = auto (and lrfind's default)
  std::int64_t lrfind_validation = 5000;  ///< lrfind --mode linear: training images held out to judge it
  void bind(core::OptionBindings& bindings);
};

/// [curvature]: when and on which examples a run probes, and what each probe measures.
struct TrackingOptions {
  std::string at;                                ///< probe points (empty: no probing)
  std::string probe = "train:first:4096";        ///< Hessian probe set
  std::string test_probe = "test:first:2048";    ///< test loss/accuracy set (none: skip)
  Precision dtype = Precision::kFloat64;         ///< precision of the probes
  curvature::ProbeOptions measures;              ///< what each probe measures
  void bind(core::OptionBindings& bindings);
  /// True when curvature.at names any probe point.
  bool enabled() const;
};

/// [run]: seed and label.
struct RunLabel {
  std::uint64_t seed = 0;  ///< initialisation, data order and augmentation
  std::string name;        ///< a label for reports
  void bind(core::OptionBindings& bindings);
};

/// A whole run config as typed fields.
struct RunOptions {
  DataOptions data;
  ModelOptions model;
  train::OptimizerOptions optim;
  schedules::ScheduleKeys schedule;  ///< given [schedule] keys; the policy applies its defaults
  TrainOptions train;
  TrackingOptions curvature;
  RunLabel run;
  /// Binds every key of a run config, section by section.
  void bind(core::OptionBindings& bindings);
};

/// The schema of a run config: every key with its default, help and choices.
std::vector<core::ConfigKey> run_schema();

/// A run's config as `train` resolves it: the schema's defaults, then `file` (skipped when
/// empty), then each `section.key=value` in order. Throws core::UsageError naming what is wrong.
core::Config resolve_run_config(const std::string& file, const std::vector<std::string>& assignments);

/// The typed options of a resolved config, each part checked. Throws core::UsageError naming
/// the key at fault.
RunOptions read_run_options(const core::Config& config);

/// Keys whose values differ between two resolved configs, compared as typed values ("1e-3"
/// equals "0.001"), as "key (b -> a)".
std::vector<std::string> differing_settings(const core::Config& a, const core::Config& b);

/// Every key of a run config with type, default, choices and meaning (Markdown).
std::string run_options_listing();

}  // namespace curvtrack::runner
