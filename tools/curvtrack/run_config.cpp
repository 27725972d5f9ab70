#include "run_config.hpp"

#include <map>
#include <string>

#include "curvtrack/schedules/schedule.hpp"

namespace curvtrack::tool {
namespace {

std::string schedule_help(const std::string& key) {
  static const std::map<std::string, std::string> help = {
      {"policy", "learning-rate policy"},
      {"variant", "onecycle variant"},
      {"lr", "learning rate (constant, step) or rate at step 0 (cosine)"},
      {"lr_max", "onecycle peak learning rate, or auto to run the LR range test first"},
      {"lr_min", "cosine: rate at the last step"},
      {"div", "onecycle: initial rate is lr_max/div"},
      {"final_div", "onecycle torch/fastai: final rate is initial/final_div"},
      {"pct_start", "onecycle torch/fastai: fraction of steps spent rising"},
      {"anneal", "onecycle torch: interpolation within a phase"},
      {"three_phase", "onecycle torch: initial->max->initial->min"},
      {"mom_min", "onecycle: momentum at the peak rate"},
      {"mom_max", "onecycle: momentum at the ends"},
      {"cycle_frac", "onecycle smith: fraction of steps taken by the cycle"},
      {"annihilate", "onecycle smith: final rate is lr_max/(div*annihilate)"},
      {"momentum", "constant/step/cosine: fixed momentum (Adam: beta1)"},
      {"step_size", "step: updates between decays"},
      {"gamma", "step: factor per decay"},
  };
  auto found = help.find(key);
  return found != help.end() ? found->second : "see science.md section 1";
}

}  // namespace

std::vector<core::ConfigKey> schedule_schema() {
  std::vector<core::ConfigKey> keys;
  for (const auto& key : schedules::schedule_keys()) {
    std::vector<std::string> choices;
    if (key == "policy") choices = {"constant", "onecycle", "step", "cosine"};
    if (key == "variant") choices = {"smith", "torch", "fastai"};
    keys.push_back({"schedule." + key, "", schedule_help(key), choices});
  }
  return keys;
}

std::vector<core::ConfigKey> run_schema() {
  std::vector<core::ConfigKey> keys = {
      {"data.dataset", "fashion-mnist", "dataset spec: fashion-mnist[:DIR], mnist:DIR, kmnist:DIR, cifar10:DIR, cifar100:DIR, gmm:N:C:SIDE:SEED, teacher:N:C:SIDE:SEED", {}},
      {"data.batch_size", "128", "examples per optimizer step", {}},
      {"data.drop_last", "true", "drop the last incomplete batch of an epoch", {}},
      {"data.augment", "none", "training augmentation", {"none", "crop", "flip", "crop+flip"}},
      {"data.train_examples", "0", "use the first N training examples (0: all)", {}},
      {"data.test_examples", "0", "evaluate on the first N test examples (0: all)", {}},
      {"model.spec", "mlp:784-64-64-10:tanh", "mlp:W0-..-Wn:ACT, cnn:C1-C2:ACT[:bn], resnet:DEPTH[:bn|nobn], or a TorchScript .pt file", {}},
      {"model.dtype", "float32", "training precision", {"float32", "float64"}},
      {"optim.name", "sgd", "optimizer", {"sgd", "adamw"}},
      {"optim.nesterov", "false", "Nesterov momentum (sgd)", {}},
      {"optim.weight_decay", "0", "sgd: coupled L2; adamw: decoupled decay", {}},
      {"optim.beta2", "0.999", "adamw beta2", {}},
      {"optim.eps", "1e-8", "adamw epsilon", {}},
  };
  for (auto& key : schedule_schema()) keys.push_back(std::move(key));
  std::vector<core::ConfigKey> rest = {
      {"train.steps", "", "optimizer updates (or give train.epochs)", {}},
      {"train.epochs", "", "epochs, converted to steps with the batch plan", {}},
      {"train.log_every", "50", "metrics row every N steps", {}},
      {"train.eval_every", "0", "test evaluation every N steps (0: every epoch)", {}},
      {"train.checkpoint_every", "500", "checkpoint every N steps (0: only at the end and on signals)", {}},
      {"train.divergence_factor", "10", "diverged when the loss exceeds this times the first loss", {}},
      {"train.threads", "0", "intra-op threads (0: all cores)", {}},
      {"train.device", "cpu", "auto | cpu | cuda[:N]", {}},
      {"train.lrfind_rule", "valley", "with schedule.lr_max = auto: which LR-finder suggestion becomes lr_max", {"minimum", "steep", "valley"}},
      {"curvature.at", "", "probe points: fractions in [0,1], peak, end, every:K, log:N (comma list; empty: no probing)", {}},
      {"curvature.probe", "train:first:4096", "Hessian probe set: SPLIT:first:N | SPLIT:random:N:SEED | SPLIT:all", {}},
      {"curvature.test_probe", "test:first:2048", "set for test loss/accuracy at each probe (none: skip)", {}},
      {"curvature.dtype", "float64", "precision of the probes", {"float32", "float64"}},
      {"curvature.top_k", "1", "largest Hessian eigenvalues (warm-started)", {}},
      {"curvature.bottom_k", "0", "smallest Hessian eigenvalues", {}},
      {"curvature.trace", "hutchpp", "trace estimator", {"hutchpp", "hutchinson", "none"}},
      {"curvature.trace_samples", "30", "Hutch++ HVP budget or Hutchinson probes", {}},
      {"curvature.esd", "none", "spectral density STEPSxRUNS (e.g. 80x10) or none", {}},
      {"curvature.tol", "1e-8", "eigen-solver relative tolerance", {}},
      {"curvature.max_hvps", "500", "HVP budget per eigen-solve (unconverged results are flagged)", {}},
      {"curvature.warm_start", "true", "start each eigen-solve from the previous probe's eigenvectors", {}},
      {"curvature.bn_mode", "eval", "BatchNorm during probes: eval (statistics re-estimated on the probe set) or train", {"eval", "train"}},
      {"curvature.batch_size", "1024", "probe examples per batch", {}},
      {"curvature.seed", "0", "seed of the random vectors (each probe adds its step)", {}},
      {"curvature.test_hessian", "false", "also lambda_max and trace of the test-loss Hessian on curvature.test_probe", {}},
      {"curvature.sharpness", "none", "scale-aware sharpness at each probe", {"none", "adaptive", "epsilon", "both"}},
      {"curvature.rho", "0.05", "adaptive sharpness radius: ||e / (|w| + eta)||_2 <= rho", {}},
      {"curvature.eta", "0", "adaptive sharpness offset eta", {}},
      {"curvature.epsilon", "1e-3", "epsilon-sharpness box: |e_i| <= epsilon (|w_i| + 1)", {}},
      {"curvature.sharpness_steps", "10", "projected gradient-ascent steps for sharpness", {}},
      {"curvature.slices", "none", "loss slices: filter-normalised random directions, top eigenvector, or both", {"none", "random", "eigen", "both"}},
      {"curvature.slice_points", "21", "grid points per slice axis", {}},
      {"curvature.slice_radius", "1", "slice extent", {}},
      {"curvature.slice_seed", "0", "seed of the random slice directions (keep it equal across a study)", {}},
      {"run.seed", "0", "seed of initialisation, data order and augmentation", {}},
      {"run.name", "", "a label for reports", {}},
  };
  for (auto& key : rest) keys.push_back(std::move(key));
  return keys;
}

core::Config resolve_run_config(const std::string& file, const std::vector<std::string>& assignments) {
  core::Config config(run_schema());
  if (!file.empty()) config.load_file(file);
  for (const auto& assignment : assignments) config.set(assignment);
  return config;
}

}  // namespace curvtrack::tool
