// Malformed-input table (malformed_table.hpp), configs, options and studies: exit 2 naming the
// file, key or value and what is accepted.

#include "test_prelude.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "malformed_inputs.hpp"

using namespace curvtrack::testing;
namespace fs = std::filesystem;

namespace {

std::vector<Case> config_cases() {
  return {
      {"config file empty", [](CaseDir& c) { return train_with(c, ""); }, 2, {"train.steps"}},
      {"config file binary", [](CaseDir& c) { return train_with(c, std::string("\x00\xff\xfe[train]\n", 10)); },
       2, {"run.ini:1:", "binary"}},
      {"config key unknown", [](CaseDir& c) { return train_with(c, kRunnable + "[optim]\nmomentm = 0.9\n"); },
       2, {"run.ini", "optim.momentm"}},
      {"config key duplicated", [](CaseDir& c) { return train_with(c, kSchedule + "[train]\nsteps = 10\nsteps = 20\n"); },
       2, {"run.ini:6:", "steps in [train]", "twice (first on line 5)"}},
      {"config section header malformed", [](CaseDir& c) { return train_with(c, kSchedule + "[train\nsteps = 5\n"); },
       2, {"run.ini:4:", "[train"}},
      {"config value out of range (pct_start 1.5)", [](CaseDir& c) {
         return train_with(c, "[schedule]\npolicy = onecycle\nvariant = torch\nlr_max = 0.1\npct_start = 1.5\n[train]\nsteps = 10\n");
       }, 2, {"pct_start", "1.5"}},
      {"config value out of range (negative lr)", [](CaseDir& c) {
         return train_with(c, "[schedule]\npolicy = constant\nlr = -0.1\n[train]\nsteps = 5\n");
       }, 2, {"schedule.lr", "-0.1"}},
      {"config value out of range (momentum 1.5)", [](CaseDir& c) {
         return train_with(c, "[schedule]\npolicy = constant\nlr = 0.1\nmomentum = 1.5\n[train]\nsteps = 5\n");
       },
       2, {"schedule.momentum", "1.5"}},
      {"config value of the wrong type", [](CaseDir& c) { return train_with(c, kSchedule + "[train]\nsteps = many\n"); },
       2, {"train.steps", "many"}},
      {"config integer overflowing", [](CaseDir& c) { return train_with(c, kSchedule + "[train]\nsteps = 99999999999999999999\n"); },
       2, {"train.steps", "99999999999999999999"}},
      {"config number not finite", [](CaseDir& c) { return train_with(c, kRunnable + "divergence_factor = nan\n"); },
       2, {"train.divergence_factor", "nan"}},
      {"config value not among the choices", [](CaseDir& c) { return train_with(c, kRunnable + "[optim]\nname = adam\n"); },
       2, {"optim.name", "adam", "adamw"}},
      {"config batch size 0", [](CaseDir& c) { return train_with(c, kRunnable + "[data]\nbatch_size = 0\n"); },
       2, {"data.batch_size", "got 0"}},
      {"config negative weight decay", [](CaseDir& c) { return train_with(c, kRunnable + "[optim]\nweight_decay = -1\n"); },
       2, {"optim.weight_decay"}},
      {"config asks for more examples than the split has", [](CaseDir& c) { return train_with(c, kRunnable + "[data]\ntrain_examples = 100000\n"); },
       2, {"data.train_examples", "100000"}},
      {"config probe set larger than the data", [](CaseDir& c) {
         return train_with(c, kRunnable + "[curvature]\nat = end\nprobe = train:first:100000\n");
       }, 2, {"train:first:100000", "256"}},
      {"config file is a folder", [](CaseDir& c) {
         auto args = train_with(c, kRunnable);
         fs::remove(c.dir / "run.ini");
         fs::create_directory(c.dir / "run.ini");
         return args;
       }, 2, {"run.ini", "is a directory"}},
      {"config file missing", [](CaseDir& c) {
         auto args = train_with(c, kRunnable);
         fs::remove(c.dir / "run.ini");
         return args;
       }, 2, {"run.ini", "does not exist"}},
      {"config file unreadable (I/O error)", [](CaseDir& c) {
         auto args = train_with(c, kRunnable);
         fs::remove(c.dir / "run.ini");
         fs::create_symlink("/proc/self/mem", c.dir / "run.ini");  // EIO, even for root
         return args;
       }, 2, {"run.ini", "Input/output error"}},
      {"--set without '='", [](CaseDir& c) { return train_with(c, kRunnable, {"--set", "train.steps"}); },
       2, {"'train.steps'"}},
      {"command-line option unknown", [](CaseDir&) { return std::vector<std::string>{"spectrum", "--top_k", "3"}; },
       2, {"--top_k", "--top-k"}},
      {"command-line value not a dtype", [](CaseDir&) { return std::vector<std::string>{"spectrum", "--model", "mlp:784-10", "--dtype", "float16"}; },
       2, {"float16"}},
      {"command-line value malformed (--esd)", [](CaseDir&) { return std::vector<std::string>{"spectrum", "--model", "mlp:784-10", "--esd", "80by10"}; },
       2, {"--esd", "80by10"}},
      {"schedule config out of range", [](CaseDir& c) {
         write(c.dir / "schedule.ini", "[schedule]\npolicy = constant\nlr = 0\n[train]\nsteps = 10\n");
         return std::vector<std::string>{"schedule", "--config", (c.dir / "schedule.ini").string()};
       }, 2, {"schedule.lr", "0"}},
      {"study seeds range empty", [](CaseDir& c) { return study_with(c, kStudyHead + "seeds = 5-2\n[arm.a]\nschedule.lr = 0.1\n"); },
       2, {"study.ini:5:", "5-2"}},
      {"study base config missing", [](CaseDir& c) {
         return study_with(c, "[study]\nname = tiny\nbase = nobase.ini\nout = out\nseeds = 0-1\n[arm.a]\nschedule.lr = 0.1\n");
       }, 2, {"study.ini:3:", "nobase.ini"}},
      {"study key duplicated", [](CaseDir& c) {
         return study_with(c, kStudyHead + "seeds = 0-1\n[arm.a]\nschedule.lr = 0.1\nschedule.lr = 0.2\n");
       }, 2, {"study.ini:8:", "schedule.lr", "twice"}},
      {"study key unknown", [](CaseDir& c) { return study_with(c, kStudyHead + "seeds = 0-1\n[arm.a]\nschedule.lr = 0.1\n[slurm]\nthrotle = 2\n"); },
       2, {"study.ini", "throtle", "throttle"}},
      {"study file binary", [](CaseDir& c) { return study_with(c, std::string("\x00\x01\x02", 3)); },
       2, {"study.ini:1:", "binary"}},
      {"study arm value out of range", [](CaseDir& c) { return study_with(c, kStudyHead + "seeds = 0-1\n[arm.a]\nschedule.policy = constant\nschedule.lr = -0.1\n"); },
       2, {"study.ini", "arm a", "schedule.lr", "-0.1"}},
      {"study arm key unknown", [](CaseDir& c) { return study_with(c, kStudyHead + "seeds = 0-1\n[arm.a]\nschedule.policy = constant\nschedule.lrr = 0.1\n"); },
       2, {"study.ini", "arm a", "schedule.lrr"}},
  };
}

// Command-line values out of bounds: usage errors (exit 2) naming the option, the value and what
// is accepted, before any work.
std::vector<std::string> bench(CaseDir& c, const std::string& model, std::vector<std::string> extra) {
  std::vector<std::string> args = {"bench", "--model", model, "--data", "fashion-mnist:" + fashion_folder(c.dir).string(),
                                   "--probe", "test:all"};
  args.insert(args.end(), extra.begin(), extra.end());
  if (std::find(args.begin(), args.end(), "--threads") == args.end()) args.insert(args.end(), {"--threads", "1"});
  return args;
}

// spectrum of the table's model on a good folder, with extra options.
std::vector<std::string> model_spectrum_with(CaseDir& c, std::vector<std::string> extra) {
  std::vector<std::string> args = model_spectrum(c, kModel);
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<std::string> with_threads(std::vector<std::string> args, const std::string& threads) {
  *(std::find(args.begin(), args.end(), "--threads") + 1) = threads;
  return args;
}

// lrfind on a tiny synthetic set: 256 training images, 4 classes.
std::vector<std::string> lrfind(CaseDir& c, std::vector<std::string> extra) {
  std::vector<std::string> args = {"lrfind", "--out", (c.dir / "lrfind").string(), "--threads", "1", "--quiet",
                                   "--set", "data.dataset=gmm:256:4:4:1", "--set", "data.batch_size=32",
                                   "--set", "model.spec=mlp:16-8-4:tanh"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<Case> usage_cases() {
  return {
      {"config key before any [section]", [](CaseDir& c) { return train_with(c, "steps = 5\n" + kRunnable); },
       2, {"run.ini:1:", "'steps' comes before any [section]", "[train]"}},
      {"study key before any [section]", [](CaseDir& c) { return study_with(c, "name = tiny\n" + kStudyHead + "seeds = 0-1\n"); },
       2, {"study.ini:1:", "'name' comes before any [section]"}},
      {"--esd 0x0", [](CaseDir&) { return std::vector<std::string>{"spectrum", "--model", "mlp:784-10", "--esd", "0x0"}; },
       2, {"--esd '0x0'", "STEPS in [2, 100000] and RUNS in [1, 100000]"}},
      {"--esd 1x1", [](CaseDir&) { return std::vector<std::string>{"spectrum", "--model", "mlp:784-10", "--esd", "1x1"}; },
       2, {"--esd '1x1'", "STEPS in [2, 100000] and RUNS in [1, 100000]"}},
      {"--trace hutchpp:auto:abc", [](CaseDir&) { return std::vector<std::string>{"spectrum", "--model", "mlp:784-10", "--trace", "hutchpp:auto:abc"}; },
       2, {"--trace 'hutchpp:auto:abc'", "'abc'"}},
      {"--trace hutchinson:auto:1.5", [](CaseDir&) { return std::vector<std::string>{"spectrum", "--model", "mlp:784-10", "--trace", "hutchinson:auto:1.5"}; },
       2, {"--trace 'hutchinson:auto:1.5'", "REL must be in (0, 1)"}},
      {"--trace hutchpp:auto (no REL)", [](CaseDir&) { return std::vector<std::string>{"spectrum", "--model", "mlp:784-10", "--trace", "hutchpp:auto"}; },
       2, {"--trace 'hutchpp:auto'", "hutchpp:auto:REL[:MAX]"}},
      {"--trace krylov:30 without a top-k solve", [](CaseDir&) {
         return std::vector<std::string>{"spectrum", "--model", "mlp:784-10", "--top-k", "0", "--trace", "krylov:30"};
       }, 2, {"--trace krylov:N", "--top-k >= 1"}},
      {"--threads 100000 (spectrum)", [](CaseDir& c) {
         return with_threads(spectrum(c.dir, "fashion-mnist:" + fashion_folder(c.dir).string()), "100000");
       }, 2, {"--threads 100000", "cores of this machine", "give at most"}},
      {"--threads 100000 (train)", [](CaseDir& c) { return with_threads(train_with(c, kRunnable), "100000"); },
       2, {"--threads 100000", "cores of this machine"}},
      {"--threads 100000 (bench)", [](CaseDir& c) { return bench(c, kModel, {"--threads", "100000"}); },
       2, {"--threads 100000", "cores of this machine"}},
      {"bench --ncv 1", [](CaseDir& c) { return bench(c, kModel, {"--ncv", "1"}); },
       2, {"--ncv 1", "--ncv 6 or more", "0 for automatic"}},
      {"bench --ncv above the parameter count", [](CaseDir& c) { return bench(c, "mlp:784-1-10", {"--ncv", "1000"}); },
       2, {"mlp:784-1-10 has 805 parameters", "--ncv 1000"}},
      {"bench --batch-size 0", [](CaseDir& c) { return bench(c, kModel, {"--batch-size", "0"}); }, 2, {"--batch-size 0"}},
      {"bench --tol 0", [](CaseDir& c) { return bench(c, kModel, {"--tol", "0"}); }, 2, {"--tol", "positive"}},
      {"bench --repeats 0", [](CaseDir& c) { return bench(c, kModel, {"--repeats", "0"}); }, 2, {"--repeats 0"}},
      {"spectrum --loss not a loss", [](CaseDir& c) { return model_spectrum_with(c, {"--loss", "hinge"}); },
       2, {"--loss='hinge'", "cross-entropy, mse"}},
      {"spectrum --operator not a matrix", [](CaseDir& c) { return model_spectrum_with(c, {"--operator", "fisher"}); },
       2, {"--operator='fisher'", "hessian, ggn, empirical-fisher"}},
      {"spectrum --blocks not a mode", [](CaseDir& c) { return model_spectrum_with(c, {"--blocks", "layer"}); },
       2, {"--blocks='layer'", "none, module, tensor"}},
      {"spectrum --params glob matching nothing", [](CaseDir& c) { return model_spectrum_with(c, {"--params", "conv*"}); },
       2, {"--params 'conv*'", "matches no parameter", "weight"}},
      {"spectrum --params with an empty entry", [](CaseDir& c) { return model_spectrum_with(c, {"--params", "1.*,,2.*"}); },
       2, {"'1.*,,2.*'", "empty entry"}},
      {"spectrum --probe-draws negative", [](CaseDir& c) { return model_spectrum_with(c, {"--probe-draws", "-1"}); },
       2, {"--probe-draws", "-1"}},
      {"spectrum --set without --run", [](CaseDir& c) { return model_spectrum_with(c, {"--set", "curvature.top_k=3"}); },
       2, {"--set and --records apply to --run"}},
      {"spectrum --run --set a key outside [curvature]", [](CaseDir& c) {
         return std::vector<std::string>{"spectrum", "--run", c.dir.string(), "--set", "train.steps=3"};
       }, 2, {"--set train.steps=3", "only curvature.* keys"}},
      {"spectrum --run --records outside the run directory", [](CaseDir& c) {
         return std::vector<std::string>{"spectrum", "--run", c.dir.string(), "--records", "../end.jsonl"};
       }, 2, {"--records ../end.jsonl", "file name ending in .jsonl"}},
      {"config train.loss not a loss", [](CaseDir& c) { return train_with(c, kRunnable, {"--set", "train.loss=l1"}); },
       2, {"train.loss", "l1", "cross-entropy, mse"}},
      {"config curvature.matrix not a matrix", [](CaseDir& c) {
         return train_with(c, kRunnable + "[curvature]\nat = end\nmatrix = hessianx\n");
       }, 2, {"curvature.matrix", "hessianx", "ggn"}},
      {"config curvature.params matching nothing", [](CaseDir& c) {
         return train_with(c, kRunnable + "[curvature]\nat = end\nprobe = train:first:64\ntest_probe = none\nparams = conv*\n");
       }, 2, {"curvature.params 'conv*'", "matches no parameter"}},
      {"config curvature.batch_sharpness not every:K", [](CaseDir& c) {
         return train_with(c, kRunnable + "[curvature]\nat = end\nbatch_sharpness = every:0\n");
       }, 2, {"curvature.batch_sharpness 'every:0'", "every:K with K >= 1, or none"}},
      {"config curvature.track = certified with more than lambda_max", [](CaseDir& c) {
         return train_with(c, kRunnable + "[curvature]\nat = end\ntrack = certified\n");
       }, 2, {"curvature.track = certified", "top_k = 1", "trace = none"}},
      {"config curvature.track = certified without full-batch training", [](CaseDir& c) {
         return train_with(c, kRunnable + "[curvature]\nat = end\ntrack = certified\ntest_probe = none\ntrace = none\n"
                                          "probe = train:all\n");
       }, 2, {"curvature.track = certified", "full-batch training", "256 training examples"}},
      {"lrfind --rule unknown", [](CaseDir& c) { return lrfind(c, {"--rule", "median"}); },
       2, {"--rule 'median'", "smith, minimum, steep, valley"}},
      {"lrfind rule unknown in the config", [](CaseDir& c) { return lrfind(c, {"--set", "train.lrfind_rule=median"}); },
       2, {"train.lrfind_rule", "median", "smith"}},
      {"lrfind --validation 0", [](CaseDir& c) { return lrfind(c, {"--mode", "linear", "--validation", "0"}); },
       2, {"train.lrfind_validation = 0", ">= 1"}},
      {"lrfind --validation -5", [](CaseDir& c) { return lrfind(c, {"--mode", "linear", "--validation", "-5"}); },
       2, {"train.lrfind_validation = -5", ">= 1"}},
      {"lrfind --validation as large as the training set", [](CaseDir& c) {
         return lrfind(c, {"--mode", "linear", "--validation", "256"});
       }, 2, {"train.lrfind_validation = 256", "< the 256 training images"}},
  };
}

const bool registered = register_table("configs", config_cases);
const bool registered_usage = register_table("command-line values", usage_cases);

}  // namespace

TEST_CASE("malformed configs, options and studies exit 2 naming the file, key or value", "[integration]") {
  run_table("configs", config_cases());
}

TEST_CASE("command-line values out of bounds exit 2 naming the option, the value and what is accepted", "[integration]") {
  run_table("command-line values", usage_cases());
}
