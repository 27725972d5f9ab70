// The malformed-input suite (issue 7, "Hardening"): every row feeds one bad input through the
// real curvtrack executable and checks, the same way for every row, that the tool
//   - exits with 2 (usage or configuration) or 3 (data): not 1, not a signal (a crash);
//   - prints exactly one line on stderr, "curvtrack CMD: error: ...", naming the file, key or
//     value at fault, and nothing on stdout;
//   - presents no partial result as complete: no new output file, no temporary file left
//     behind, no run marked completed;
//   - damages no earlier good result: every file that existed before is byte-identical
//     afterwards (a row may name files allowed to change, e.g. meta.json recording the failure).
// Tests run as root, for whom permission bits stop nothing: "unreadable" inputs are I/O errors
// (/proc/self/mem) or folders, "read-only" outputs are a read-only tmpfs or /proc, a "full disk"
// is a tiny tmpfs or RLIMIT_FSIZE. The tmpfs rows need mount(2) (root with CAP_SYS_ADMIN) and
// are skipped, with a warning, where it is not allowed; the others cover the same paths.

#include "test_prelude.hpp"

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>
#include <zlib.h>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/import.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "run_tool.hpp"

using curvtrack::testing::curvature_records;
using curvtrack::testing::fixture_model;
using curvtrack::testing::run_tool;
using curvtrack::testing::slurp;
using curvtrack::testing::SpawnOptions;
using curvtrack::testing::TempDir;
using curvtrack::testing::ToolRun;
namespace fs = std::filesystem;

namespace {

// ------------------------------------------------------------------ writing bad files

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// An IDX file: 2 magic bytes (the first one `first_byte`), element type, rank, big-endian dims, payload.
std::string idx_bytes(const std::vector<std::uint32_t>& dims, std::size_t payload, unsigned char type = 0x08,
                      unsigned char first_byte = 0, unsigned char fill = 0) {
  std::string bytes = {static_cast<char>(first_byte), 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((d >> shift) & 0xFF));
  }
  return bytes + std::string(payload, static_cast<char>(fill));
}

const char* kImages = "t10k-images-idx3-ubyte";
const char* kLabels = "t10k-labels-idx1-ubyte";

// A Fashion-MNIST-style folder with a 10-example test split; either file may be replaced.
fs::path fashion_folder(const fs::path& dir, const std::string& images = idx_bytes({10, 28, 28}, 10 * 784),
                        const std::string& labels = idx_bytes({10}, 10)) {
  fs::path folder = dir / "fashion";
  fs::create_directories(folder);
  write(folder / kImages, images);
  write(folder / kLabels, labels);
  return folder;
}

std::string gzip(const std::string& bytes) {
  TempDir scratch;
  fs::path path = scratch.path() / "file.gz";
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
  return slurp(path);
}

// ------------------------------------------------------------------ shared good inputs

std::vector<std::string> tiny_run(const fs::path& run_dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"train", "--run-dir", run_dir.string(), "--threads", "1", "--quiet",
      "--set", "data.dataset=gmm:256:4:4:1", "--set", "data.batch_size=32", "--set", "model.spec=mlp:16-8-4:tanh",
      "--set", "schedule.policy=onecycle", "--set", "schedule.lr_max=0.2", "--set", "train.steps=60",
      "--set", "train.checkpoint_every=20", "--set", "train.log_every=5", "--set", "curvature.at=every:20",
      "--set", "curvature.probe=train:first:64", "--set", "curvature.test_probe=test:first:32"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Runs `args` with the checkpoint fault hook: SIGKILL right after the N-th checkpoint is in place.
void run_killed_after_checkpoint(const std::vector<std::string>& args, int checkpoint) {
  SpawnOptions kill;
  kill.environment = {{"CURVTRACK_FAULT_KILL_IN_CHECKPOINT", std::to_string(checkpoint) + ":done"}};
  ToolRun run = run_tool(args, kill);
  INFO(run.err);
  REQUIRE(run.exit_code == -SIGKILL);
}

// Good inputs made once per test process: runs, and models written with LibTorch.
struct Shared {
  TempDir dir;
  fs::path good_run;       ///< completed; checkpoints at 20, 40, 60; curvature records at 0, 20, 40, 60
  fs::path killed_run;     ///< killed right after its second checkpoint (LATEST = 40): resumable
  fs::path auto_run;       ///< schedule.lr_max = auto, killed after its first checkpoint: has lrfind.json
  fs::path inf_model;      ///< mlp_784_16_10_tanh.pt with one weight set to +inf
  fs::path no_parameters;  ///< a TorchScript model with no parameters (logits = first 10 pixels)

  Shared() {
    good_run = dir.path() / "good";
    ToolRun run = run_tool(tiny_run(good_run));
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    killed_run = dir.path() / "killed";
    run_killed_after_checkpoint(tiny_run(killed_run), 2);
    auto_run = dir.path() / "auto";
    run_killed_after_checkpoint(tiny_run(auto_run, {"--set", "schedule.lr_max=auto"}), 1);
    REQUIRE(fs::exists(auto_run / "lrfind.json"));

    inf_model = dir.path() / "inf_weights.pt";
    torch::jit::Module module = torch::jit::load(fixture_model("mlp_784_16_10_tanh.pt"));
    {
      c10::NoGradGuard no_grad;
      (*module.parameters().begin()).view(-1)[0].fill_(INFINITY);
    }
    module.save(inf_model.string());
    no_parameters = dir.path() / "no_parameters.pt";
    torch::jit::Module empty("NoParameters");
    empty.define("def forward(self, x):\n    return x.flatten(1)[:, 0:10]\n");
    empty.save(no_parameters.string());
  }
};

const Shared& shared() {
  static Shared instance;
  return instance;
}

void copy_tree(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

// Inserts `line` as line `index` (0-based) of a text file.
void insert_line(const fs::path& path, std::size_t index, const std::string& line) {
  std::string text = slurp(path), out;
  std::size_t at = 0;
  for (std::size_t i = 0; i < index; ++i) at = text.find('\n', at) + 1;
  write(path, text.substr(0, at) + line + "\n" + text.substr(at));
}

void edit_meta(const fs::path& run, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json meta = nlohmann::json::parse(slurp(run / "meta.json"));
  edit(meta);
  write(run / "meta.json", meta.dump(2) + "\n");
}

// ------------------------------------------------------------------ tmpfs mounts

// A tmpfs mounted on `where` for the lifetime of the object (lazily detached afterwards).
class Tmpfs {
 public:
  Tmpfs(const fs::path& where, const std::string& options) : where_(where) {
    fs::create_directories(where);
    mounted_ = ::mount("tmpfs", where.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(where_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  bool mounted() const { return mounted_; }
  void make_read_only() const {
    REQUIRE(::mount("tmpfs", where_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0);
  }

 private:
  fs::path where_;
  bool mounted_ = false;
};

bool mount_allowed() {
  static const bool allowed = [] {
    TempDir probe;
    return Tmpfs(probe.path() / "mnt", "size=16k").mounted();
  }();
  return allowed;
}

// ------------------------------------------------------------------ the table

// One malformed input: a folder of its own, the files set up in it, the command, what it must say.
struct CaseDir {
  fs::path dir;
  std::vector<std::unique_ptr<Tmpfs>> mounts;
  fs::path mount(const std::string& name, const std::string& options) {
    mounts.push_back(std::make_unique<Tmpfs>(dir / name, options));
    REQUIRE(mounts.back()->mounted());
    return dir / name;
  }
};

struct Case {
  std::string name;  ///< what is malformed
  std::function<std::vector<std::string>(CaseDir&)> setup;  ///< writes the inputs, returns the arguments
  int exit_code;                                            ///< 2 or 3
  std::vector<std::string> names;                           ///< substrings of the error: the file, key or value
  SpawnOptions options = {};
  std::vector<std::string> may_change = {};  ///< files (relative) allowed to change, e.g. a run's meta.json
  bool needs_mount = false;
};

// spectrum of a tiny native model on a probe of a Fashion-MNIST-style folder; the result goes
// to DIR/out.json, which holds an earlier good result that must survive.
std::vector<std::string> spectrum(const fs::path& dir, const std::string& data, std::vector<std::string> extra = {},
                                  const std::string& model = "mlp:784-4-10:tanh", const std::string& probe = "test:all",
                                  fs::path out = {}) {
  write(dir / "out.json", "{\"earlier\": \"good result\"}\n");
  if (out.empty()) out = dir / "out.json";
  std::vector<std::string> args = {"spectrum", "--model", model, "--data", data, "--probe", probe, "--top-k", "1",
                                   "--trace", "none", "--esd", "none", "--quiet", "--threads", "1",
                                   "--out", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

const char* kModel = "mlp:784-4-10:tanh";

std::vector<std::string> spectrum_on(const fs::path& folder, const fs::path& dir) {
  return spectrum(dir, "fashion-mnist:" + folder.string());
}

std::vector<std::string> model_spectrum(CaseDir& c, const std::string& model) {
  return spectrum(c.dir, "fashion-mnist:" + fashion_folder(c.dir).string(), {}, model);
}

// train with a config file holding `ini` (a tiny synthetic run unless the file says otherwise).
std::vector<std::string> train_with(CaseDir& c, const std::string& ini, std::vector<std::string> extra = {}) {
  write(c.dir / "run.ini", ini);
  std::vector<std::string> args = {"train", "--config", (c.dir / "run.ini").string(), "--run-dir",
                                   (c.dir / "run").string(), "--quiet", "--threads", "1",
                                   "--set", "data.dataset=gmm:256:4:4:1", "--set", "model.spec=mlp:16-8-4:tanh"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

const std::string kSchedule = "[schedule]\npolicy = constant\nlr = 0.1\n";
const std::string kRunnable = kSchedule + "[train]\nsteps = 5\n";

std::vector<std::string> study_with(CaseDir& c, const std::string& study) {
  write(c.dir / "base.ini", "[data]\ndataset = gmm:256:4:4:1\n[model]\nspec = mlp:16-8-4:tanh\n[train]\nsteps = 20\n");
  write(c.dir / "study.ini", study);
  return {"sweep", "--study", (c.dir / "study.ini").string(), "--dry-run"};
}

const std::string kStudyHead = "[study]\nname = tiny\nbase = base.ini\nout = out\n";

fs::path copy_run(CaseDir& c, const fs::path& run) {
  copy_tree(run, c.dir / "run");
  return c.dir / "run";
}

std::vector<std::string> offline(const fs::path& run, const std::string& checkpoints) {
  return {"spectrum", "--run", run.string(), "--checkpoints", checkpoints, "--quiet", "--threads", "1"};
}

std::vector<Case> data_cases() {
  return {
      {"IDX images file truncated", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 28, 28}, 10 * 784 - 100)), c.dir); },
       3, {kImages, "truncated"}},
      {"IDX images file with the wrong magic", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 28, 28}, 7840, 0x08, 0x1A)), c.dir); },
       3, {kImages, "0x1A"}},
      {"IDX images file empty", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, ""), c.dir); },
       3, {kImages, "truncated"}},
      {"IDX images file with trailing bytes", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 28, 28}, 7845)), c.dir); },
       3, {kImages, "5 trailing bytes"}},
      {"IDX images of element type float (0x0D)", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 28, 28}, 4 * 7840, 0x0D)), c.dir); },
       3, {kImages, "0x0D"}},
      {"IDX images that are 2-D", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 784}, 7840)), c.dir); },
       3, {kImages, "2-D"}},
      {"IDX header with an absurd dimension", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({0xFFFFFFFF, 28, 28}, 10)), c.dir); },
       3, {kImages, "2^31"}},
      {"wrong label count (9 labels for 10 images)", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 28, 28}, 7840), idx_bytes({9}, 9)), c.dir); },
       3, {kImages, kLabels, "9 labels"}},
      {"label outside the 10 classes", [](CaseDir& c) { return spectrum_on(fashion_folder(c.dir, idx_bytes({10, 28, 28}, 7840), idx_bytes({10}, 10, 0x08, 0, 12)), c.dir); },
       3, {kLabels, "label 12"}},
      {"gzip-compressed IDX truncated", [](CaseDir& c) {
         fs::path folder = fashion_folder(c.dir);
         fs::remove(folder / kImages);
         std::string packed = gzip(idx_bytes({10, 28, 28}, 7840, 0x08, 0, 7));
         write(folder / (std::string(kImages) + ".gz"), packed.substr(0, packed.size() / 2));
         return spectrum_on(folder, c.dir);
       }, 3, {std::string(kImages) + ".gz", "truncated"}},
      {"gzip-compressed IDX with trailing garbage", [](CaseDir& c) {
         fs::path folder = fashion_folder(c.dir);
         fs::remove(folder / kImages);
         write(folder / (std::string(kImages) + ".gz"), gzip(idx_bytes({10, 28, 28}, 7840)) + "garbage");
         return spectrum_on(folder, c.dir);
       }, 3, {std::string(kImages) + ".gz", "trailing garbage"}},
      {"images file is a folder", [](CaseDir& c) {
         fs::path folder = fashion_folder(c.dir);
         fs::remove(folder / kImages);
         fs::create_directory(folder / kImages);
         return spectrum_on(folder, c.dir);
       }, 3, {std::string("fashion/") + kImages}},
      {"images file unreadable (I/O error)", [](CaseDir& c) {
         fs::path folder = fashion_folder(c.dir);
         fs::remove(folder / kImages);
         fs::create_symlink("/proc/self/mem", folder / kImages);  // reads fail with EIO, even for root
         return spectrum_on(folder, c.dir);
       }, 3, {kImages, "Input/output error"}},
      {"dataset folder missing", [](CaseDir& c) { return spectrum(c.dir, "fashion-mnist:" + (c.dir / "nowhere").string()); },
       3, {"nowhere", "--data"}},
      {"CIFAR-10 batch truncated", [](CaseDir& c) {
         fs::create_directories(c.dir / "cifar");
         write(c.dir / "cifar" / "test_batch.bin", std::string(3073 * 3 - 100, '\0'));
         return spectrum(c.dir, "cifar10:" + (c.dir / "cifar").string(), {}, "mlp:3072-4-10:tanh");
       }, 3, {"test_batch.bin", "3073"}},
      {"unknown dataset name", [](CaseDir& c) { return spectrum(c.dir, "fashon-mnist:" + c.dir.string()); },
       2, {"fashon-mnist", "did you mean fashion-mnist"}},
      {"synthetic dataset with 0 classes", [](CaseDir& c) { return spectrum(c.dir, "gmm:64:0:4:1"); },
       2, {"gmm:64:0:4:1", "CLASSES 0"}},
      {"probe set larger than its split", [](CaseDir& c) {
         return spectrum(c.dir, "fashion-mnist:" + fashion_folder(c.dir).string(), {}, "mlp:784-4-10:tanh", "test:first:11");
       }, 2, {"11", "10"}},
      {"probe spec malformed", [](CaseDir& c) {
         return spectrum(c.dir, "fashion-mnist:" + fashion_folder(c.dir).string(), {}, "mlp:784-4-10:tanh", "test:firs:4");
       }, 2, {"test:firs:4", "firs"}},
  };
}

std::vector<Case> model_cases() {
  return {
      {"model file missing", [](CaseDir& c) { return model_spectrum(c, (c.dir / "missing.pt").string()); },
       3, {"missing.pt"}},
      {"model file not TorchScript (text)", [](CaseDir& c) {
         write(c.dir / "text.pt", "this is not a model\n");
         return model_spectrum(c, (c.dir / "text.pt").string());
       }, 3, {"text.pt", "not a ZIP archive"}},
      {"model file truncated", [](CaseDir& c) {
         std::string bytes = slurp(fixture_model("mlp_784_16_10_tanh.pt"));
         write(c.dir / "half.pt", bytes.substr(0, bytes.size() / 2));
         return model_spectrum(c, (c.dir / "half.pt").string());
       }, 3, {"half.pt"}},
      {"model path is a folder", [](CaseDir& c) {
         fs::create_directory(c.dir / "folder.pt");
         return model_spectrum(c, (c.dir / "folder.pt").string());
       }, 3, {"folder.pt"}},
      {"model with NaN weights", [](CaseDir& c) { return model_spectrum(c, fixture_model("nan_weights.pt")); },
       3, {"nan_weights.pt", "non-finite"}},
      {"model with an Inf weight", [](CaseDir& c) { return model_spectrum(c, shared().inf_model.string()); },
       3, {"inf_weights.pt", "non-finite", "1 NaN or Inf", "net.1.weight"}},
      {"model with the wrong output shape", [](CaseDir& c) { return model_spectrum(c, fixture_model("wrong_output_shape.pt")); },
       3, {"wrong_output_shape.pt", "[2, 10, 1]", "[2, 10]"}},
      {"model for other inputs than the data", [](CaseDir& c) {
         return spectrum(c.dir, "gmm:64:10:4:1", {}, fixture_model("mlp_784_16_10_tanh.pt"));
       }, 3, {"mlp_784_16_10_tanh.pt", "[2, 1, 4, 4]"}},
      {"model without parameters", [](CaseDir& c) { return model_spectrum(c, shared().no_parameters.string()); },
       2, {"0 parameters"}},
      {"native model spec malformed", [](CaseDir& c) { return model_spectrum(c, "mlp:784-x-10"); },
       2, {"mlp:784-x-10", "'x'"}},
      {"weights file missing", [](CaseDir& c) {
         auto args = model_spectrum(c, "mlp:784-16-10:tanh");
         args.insert(args.end(), {"--weights", (c.dir / "missing-weights.pt").string()});
         return args;
       }, 3, {"missing-weights.pt"}},
      {"weights file not a weights file", [](CaseDir& c) {
         write(c.dir / "weights.pt", std::string(100, '\x07'));
         auto args = model_spectrum(c, "mlp:784-16-10:tanh");
         args.insert(args.end(), {"--weights", (c.dir / "weights.pt").string()});
         return args;
       }, 3, {"weights.pt"}},
      {"top-k not below the parameter count", [](CaseDir& c) {
         auto args = model_spectrum(c, "mlp:784-1-10");  // 784 + 1 + 10 + 10 = 805 parameters
         *(std::find(args.begin(), args.end(), "--top-k") + 1) = "805";
         return args;
       }, 2, {"--top-k 805", "805 parameters"}},
  };
}

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

std::vector<Case> run_cases() {
  return {
      {"run with a half-written checkpoint (offline probe)", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().good_run);
         fs::remove(run / "curvature.jsonl");  // so that step 40 must be read
         std::string bytes = slurp(run / "checkpoints/step-40.pt");
         write(run / "checkpoints/step-40.pt", bytes.substr(0, bytes.size() / 2));
         return offline(run, "40");
       }, 3, {"checkpoints/step-40.pt", "damaged or incomplete"}, {}, {"run/probe.txt"}},
      {"run with a checkpoint that lost its fingerprint", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().good_run);
         fs::remove(run / "curvature.jsonl");
         fs::remove(run / "checkpoints/step-40.pt.fnv");
         return offline(run, "40");
       }, 3, {"checkpoints/step-40.pt.fnv"}, {}, {"run/probe.txt"}},
      {"run whose curvature.jsonl has a torn line before the last (resume)", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         insert_line(run / "curvature.jsonl", 1, "{\"step\": 5, \"top\": {\"val");
         return tiny_run(run, {"--resume", "auto"});
       }, 3, {"curvature.jsonl:2"}, {}, {"run/meta.json", "run/probe.txt", "run/config.ini"}},
      {"run whose curvature.jsonl has a torn line before the last (offline probe)", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().good_run);
         insert_line(run / "curvature.jsonl", 1, "{\"step\": 5, \"top\": {\"val");
         return offline(run, "all");
       }, 3, {"curvature.jsonl:2"}, {}, {"run/probe.txt"}},
      {"run whose metrics.csv has another header", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         std::string text = slurp(run / "metrics.csv");
         write(run / "metrics.csv", "step,loss" + text.substr(text.find('\n')));
         return tiny_run(run, {"--resume", "auto"});
       }, 3, {"metrics.csv", "header"}, {}, {"run/meta.json", "run/probe.txt", "run/config.ini"}},
      {"run whose meta.json is not JSON", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         write(run / "meta.json", "{\"status\": \"runn");
         return tiny_run(run, {"--resume", "auto"});
       }, 3, {"meta.json", "not valid JSON"}},
      {"run whose meta.json has a status that is not a string", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         edit_meta(run, [](nlohmann::json& meta) { meta["status"] = 5; });
         return tiny_run(run, {"--resume", "auto"});
       }, 3, {"meta.json", "\"status\""}},
      {"run whose meta.json has a process count that is not a number", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         edit_meta(run, [](nlohmann::json& meta) { meta["processes"] = "two"; });
         return tiny_run(run, {"--resume", "auto"});
       }, 3, {"meta.json", "\"processes\""}},
      {"run whose config.ini is binary", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().killed_run);
         write(run / "config.ini", std::string("\x00\x01garbage", 9));
         return tiny_run(run, {"--resume", "auto"});
       }, 2, {"config.ini:1:", "binary"}},
      {"run whose lrfind.json is not an object", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().auto_run);
         write(run / "lrfind.json", "[]\n");
         return tiny_run(run, {"--set", "schedule.lr_max=auto", "--resume", "auto"});
       }, 3, {"lrfind.json", "not a JSON object"}},
      {"run resumed with a different config", [](CaseDir& c) {
         return tiny_run(copy_run(c, shared().killed_run), {"--resume", "auto", "--set", "schedule.lr_max=0.3"});
       }, 2, {"schedule.lr_max (0.2 -> 0.3)"}},
      {"run directory reused without --resume", [](CaseDir& c) { return tiny_run(copy_run(c, shared().killed_run)); },
       2, {"already holds a run", "--resume auto"}},
      {"offline probe of a folder that is no run", [](CaseDir& c) {
         fs::create_directories(c.dir / "notarun");
         return offline(c.dir / "notarun", "all");
       }, 3, {"notarun", "config.ini"}},
      {"offline probe of a step without a checkpoint", [](CaseDir& c) { return offline(copy_run(c, shared().good_run), "30"); },
       2, {"step 30"}, {}, {"run/probe.txt"}},
  };
}

std::vector<Case> output_cases() {
  SpawnOptions small_files;
  small_files.file_size_limit = 1024;
  SpawnOptions checkpoint_too_big;  // config.ini (4.5 kB) fits, the first checkpoint (8 kB) does not
  checkpoint_too_big.file_size_limit = 6000;
  auto fashion = [](CaseDir& c) { return "fashion-mnist:" + fashion_folder(c.dir).string(); };
  return {
      {"output folder missing", [=](CaseDir& c) {
         return spectrum(c.dir, fashion(c), {}, kModel, "test:all", c.dir / "missing/out.json");
       }, 2, {"missing/out.json"}},
      {"output folder is a regular file", [=](CaseDir& c) {
         return spectrum(c.dir, fashion(c), {}, kModel, "test:all", c.dir / "out.json/x.json");
       }, 2, {"out.json/x.json"}},
      {"output folder not writable, even for root (/proc)", [=](CaseDir& c) {
         return spectrum(c.dir, fashion(c), {}, kModel, "test:all", "/proc/curvtrack-spectrum.json");
       }, 3, {"/proc/curvtrack-spectrum.json"}},
      {"output file past the file size limit (a full disk for one file)", [=](CaseDir& c) { return spectrum(c.dir, fashion(c)); },
       3, {"out.json", "File too large"}, small_files},
      {"output folder read-only (tmpfs mounted ro)", [=](CaseDir& c) {
         fs::path mnt = c.mount("ro", "size=64k");
         write(mnt / "out.json", "{\"earlier\": \"good result\"}\n");
         c.mounts.back()->make_read_only();
         return spectrum(c.dir, fashion(c), {}, kModel, "test:all", mnt / "out.json");
       }, 3, {"ro/out.json", "Read-only file system"}, {}, {}, true},
      {"output folder on a full disk (tmpfs)", [=](CaseDir& c) {
         fs::path mnt = c.mount("full", "size=16k");
         write(mnt / "out.json", "{\"earlier\": \"good result\"}\n");
         write(mnt / "filler", std::string(12 * 1024, 'x'));
         return spectrum(c.dir, fashion(c), {}, kModel, "test:all", mnt / "out.json");
       }, 3, {"full/out.json", "No space left on device"}, {}, {}, true},
      {"run directory not creatable, even for root (/proc)", [](CaseDir&) {
         return tiny_run("/proc/curvtrack-run");
       }, 3, {"/proc/curvtrack-run"}},
      {"run directory under a regular file", [](CaseDir& c) {
         write(c.dir / "file", "x");
         return tiny_run(c.dir / "file/run");
       }, 3, {"file/run", "Not a directory"}},
      {"run directory on a full disk (tmpfs)", [](CaseDir& c) { return tiny_run(c.mount("full", "size=24k") / "run"); },
       3, {"full/run/", "No space left on device"}, {}, {}, true},
      {"checkpoint past the file size limit", [](CaseDir& c) { return tiny_run(c.dir / "run"); },
       3, {"run/checkpoints/step-20.pt", "File too large"}, checkpoint_too_big},
      {"report folder not creatable, even for root (/proc)", [](CaseDir&) {
         return std::vector<std::string>{"report", shared().good_run.string(), "--out", "/proc/curvtrack-report", "--quiet", "--no-render"};
       }, 3, {"/proc/curvtrack-report"}},
      {"report folder is a regular file", [](CaseDir& c) {
         write(c.dir / "report", "x");
         return std::vector<std::string>{"report", shared().good_run.string(), "--out", (c.dir / "report").string(), "--quiet", "--no-render"};
       }, 2, {"report", "not a folder"}},
      {"report folder holds something else", [](CaseDir& c) {
         fs::create_directories(c.dir / "report");
         write(c.dir / "report/thesis.tex", "precious");
         return std::vector<std::string>{"report", shared().good_run.string(), "--out", (c.dir / "report").string(), "--quiet", "--no-render"};
       }, 2, {"report", "refusing to replace it"}},
      {"report folder read-only (tmpfs mounted ro)", [](CaseDir& c) {
         fs::path mnt = c.mount("ro", "size=64k");
         c.mounts.back()->make_read_only();
         return std::vector<std::string>{"report", shared().good_run.string(), "--out", (mnt / "report").string(), "--quiet", "--no-render"};
       }, 3, {"ro/report", "Read-only file system"}, {}, {}, true},
  };
}

// ------------------------------------------------------------------ the generic checks

// Every regular file under `root` (symbolic links not followed: some point at /proc/self/mem).
std::map<fs::path, std::string> snapshot(const fs::path& root) {
  std::map<fs::path, std::string> files;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_symlink()) continue;
    if (it->is_regular_file()) files[fs::relative(it->path(), root)] = slurp(it->path());
  }
  return files;
}

std::string status_of(const std::string& meta_text) {
  try {
    auto meta = nlohmann::json::parse(meta_text);
    return meta.is_object() && meta.contains("status") && meta["status"].is_string() ? meta["status"].get<std::string>() : "";
  } catch (const std::exception&) {
    return "";
  }
}

std::string one_line_error_prefix(const std::vector<std::string>& args) { return "curvtrack " + args.front() + ": error: "; }

// Runs one row and checks it; returns false when it was skipped (no mount).
bool check_case(const Case& row) {
  if (row.needs_mount && !mount_allowed()) return false;
  TempDir temp;
  CaseDir c{temp.path(), {}};
  std::vector<std::string> args = row.setup(c);
  auto before = snapshot(c.dir);
  ToolRun run = run_tool(args, row.options);
  auto after = snapshot(c.dir);

  INFO("case: " << row.name);
  INFO("exit code " << run.exit_code << "; stderr: " << run.err << "; stdout: " << run.out);
  // Exit code 2 or 3 as the row says: not 1 (an unexpected exception), not a signal (a crash).
  REQUIRE((row.exit_code == 2 || row.exit_code == 3));
  CHECK(run.exit_code == row.exit_code);
  // One line, the error, naming the thing at fault; nothing on stdout.
  CHECK(run.out.empty());
  CHECK(run.err.rfind(one_line_error_prefix(args), 0) == 0);
  CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
  CHECK((!run.err.empty() && run.err.back() == '\n'));
  for (const auto& name : row.names) {
    INFO("the message should name: " << name);
    CHECK(run.err.find(name) != std::string::npos);
  }
  // Nothing earlier damaged: files that were there are byte-identical (or allowed to change).
  std::set<fs::path> may_change(row.may_change.begin(), row.may_change.end());
  for (const auto& [path, bytes] : before) {
    INFO("earlier file " << path);
    CHECK(after.count(path) == 1);
    if (after.count(path) == 1 && may_change.count(path) == 0) CHECK(after.at(path) == bytes);
  }
  // Nothing partial presented as complete: no temporary files, no new output, no run completed.
  for (const auto& [path, bytes] : after) {
    INFO("file after the failure " << path);
    CHECK(path.string().find(".tmp.") == std::string::npos);
    CHECK(path.filename() != "report.md");
    if (before.count(path) == 0) CHECK(path.filename() != "out.json");  // a new spectrum result
    if (path.filename() == "meta.json" && status_of(bytes) == "completed") {
      CHECK((before.count(path) == 1 && status_of(before.at(path)) == "completed"));
    }
    if (path.filename() == "meta.json" && before.count(path) == 0) {
      CHECK(status_of(bytes) != "completed");
    }
    if (path.extension() == ".pt" && path.parent_path().filename() == "checkpoints" && before.count(path) == 0) {
      CHECK(after.count(fs::path(path.string() + ".fnv")) == 1);  // a checkpoint only with its fingerprint
    }
  }
  return true;
}

void run_table(const std::string& group, const std::vector<Case>& rows) {
  int tried = 0, skipped = 0;
  for (const auto& row : rows) {
    if (check_case(row)) {
      ++tried;
    } else {
      ++skipped;
    }
  }
  if (skipped > 0) WARN(group << ": " << skipped << " tmpfs case(s) skipped: mount(2) is not allowed here");
  std::printf("malformed inputs (%s): %d tried, %d skipped\n", group.c_str(), tried, skipped);
}

}  // namespace

TEST_CASE("the malformed-input table has at least 30 distinct cases", "[integration]") {
  std::set<std::string> names;
  std::size_t total = 0;
  for (const auto& table : {data_cases(), model_cases(), config_cases(), run_cases(), output_cases()}) {
    for (const auto& row : table) {
      names.insert(row.name);
      ++total;
    }
  }
  INFO(total << " cases");
  REQUIRE(names.size() == total);
  REQUIRE(total >= 30);
}

TEST_CASE("malformed data files exit 3 (or 2 for bad specs) naming the file, with nothing written", "[integration]") {
  run_table("data files", data_cases());
}

TEST_CASE("malformed models exit 3 (or 2 for bad specs) naming the model, with nothing written", "[integration]") {
  run_table("models", model_cases());
}

TEST_CASE("malformed configs, options and studies exit 2 naming the file, key or value", "[integration]") {
  run_table("configs", config_cases());
}

TEST_CASE("damaged run directories exit 2 or 3 naming the file and keep what they hold", "[integration]") {
  run_table("run directories", run_cases());
}

TEST_CASE("unwritable, read-only and full outputs exit 3 naming the path and leave earlier results intact",
          "[integration]") {
  run_table("outputs", output_cases());
}

// Damage that a crash leaves is not an error: a resume recovers from it (with a warning where
// something was thrown away) to exactly the records of the uninterrupted run.
TEST_CASE("crash damage in a run directory is recovered to the uninterrupted run's records", "[integration]") {
  struct Damage {
    std::string name;
    std::function<void(const fs::path&)> apply;
    std::vector<std::string> warnings;  ///< what stderr must name (empty: a silent recovery)
  };
  const std::vector<Damage> damages = {
      {"torn last lines in curvature.jsonl and metrics.csv", [](const fs::path& run) {
         std::ofstream(run / "curvature.jsonl", std::ios::app) << "{\"step\": 40, \"top\": {\"val";
         std::ofstream(run / "metrics.csv", std::ios::app) << "40,5,0.1";
       }, {}},
      {"corrupted LATEST", [](const fs::path& run) { write(run / "checkpoints/LATEST", "4\x7f" "0\n"); },
       {"checkpoints/LATEST is corrupt"}},
      {"LATEST naming a missing checkpoint", [](const fs::path& run) { write(run / "checkpoints/LATEST", "50\n"); },
       {"checkpoints/LATEST names step 50"}},
      {"half-written newest checkpoint", [](const fs::path& run) {
         std::string bytes = slurp(run / "checkpoints/step-40.pt");
         write(run / "checkpoints/step-40.pt", bytes.substr(0, bytes.size() / 2));
       }, {"step-40.pt is damaged or incomplete", "falling back to checkpoint", "step-20.pt"}},
      {"leftover temporary files of a crashed write", [](const fs::path& run) {
         write(run / "checkpoints/step-60.pt.tmp.99999", "half a checkpoint");
         write(run / "metrics.csv.tmp.99999", "step,epoch\n0,");
       }, {}},
  };
  const fs::path good = shared().good_run;
  for (const auto& damage : damages) {
    INFO("damage: " << damage.name);
    TempDir temp;
    fs::path run = temp.path() / "run";
    copy_tree(shared().killed_run, run);
    damage.apply(run);
    ToolRun resumed = run_tool(tiny_run(run, {"--resume", "auto"}));
    INFO("stderr: " << resumed.err);
    CHECK(resumed.exit_code == 0);
    for (const auto& warning : damage.warnings) CHECK(resumed.err.find(warning) != std::string::npos);
    if (damage.warnings.empty()) CHECK(resumed.err.empty());
    CHECK(status_of(slurp(run / "meta.json")) == "completed");
    CHECK(slurp(run / "metrics.csv") == slurp(good / "metrics.csv"));
    CHECK(curvature_records(run / "curvature.jsonl") == curvature_records(good / "curvature.jsonl"));
    CHECK(slurp(run / "checkpoints/step-60.pt.fnv") == slurp(good / "checkpoints/step-60.pt.fnv"));
  }
  std::printf("recoverable damage: %zu kinds recovered\n", damages.size());
}
