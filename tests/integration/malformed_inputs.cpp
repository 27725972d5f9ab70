#include "test_prelude.hpp"

#include "malformed_inputs.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zlib.h>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/import.h>

#include <cmath>
#include <cstring>
#include <fstream>

namespace fs = std::filesystem;

namespace curvtrack::testing {

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string idx_bytes(const std::vector<std::uint32_t>& dims, std::size_t payload, unsigned char type,
                      unsigned char first_byte, unsigned char fill) {
  std::string bytes = {static_cast<char>(first_byte), 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((d >> shift) & 0xFF));
  }
  return bytes + std::string(payload, static_cast<char>(fill));
}

const char* const kImages = "t10k-images-idx3-ubyte";
const char* const kLabels = "t10k-labels-idx1-ubyte";

fs::path fashion_folder(const fs::path& dir, const std::string& images, const std::string& labels) {
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

void make_fifo(const fs::path& path) { REQUIRE(::mkfifo(path.c_str(), 0644) == 0); }

void make_socket(const fs::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  REQUIRE(path.string().size() < sizeof address.sun_path);
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  ::close(fd);  // the socket file stays
  REQUIRE(bound == 0);
}

void copy_tree(const fs::path& from, const fs::path& to) {
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
}

void insert_line(const fs::path& path, std::size_t index, const std::string& line) {
  std::string text = slurp(path);
  std::size_t at = 0;
  for (std::size_t i = 0; i < index; ++i) at = text.find('\n', at) + 1;
  write(path, text.substr(0, at) + line + "\n" + text.substr(at));
}

void edit_meta(const fs::path& run, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json meta = nlohmann::json::parse(slurp(run / "meta.json"));
  edit(meta);
  write(run / "meta.json", meta.dump(2) + "\n");
}

std::vector<std::string> tiny_run(const fs::path& run_dir, std::vector<std::string> extra) {
  std::vector<std::string> args = {"train", "--run-dir", run_dir.string(), "--threads", "1", "--quiet",
      "--set", "data.dataset=gmm:256:4:4:1", "--set", "data.batch_size=32", "--set", "model.spec=mlp:16-8-4:tanh",
      "--set", "schedule.policy=onecycle", "--set", "schedule.lr_max=0.2", "--set", "train.steps=60",
      "--set", "train.checkpoint_every=20", "--set", "train.log_every=5", "--set", "curvature.at=every:20",
      "--set", "curvature.probe=train:first:64", "--set", "curvature.test_probe=test:first:32"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

namespace {

// Runs `args` with the checkpoint fault hook: SIGKILL right after the N-th checkpoint is in place.
void run_killed_after_checkpoint(const std::vector<std::string>& args, int checkpoint) {
  SpawnOptions kill;
  kill.environment = {{"CURVTRACK_FAULT_KILL_IN_CHECKPOINT", std::to_string(checkpoint) + ":done"}};
  ToolRun run = run_tool(args, kill);
  INFO(run.err);
  REQUIRE(run.exit_code == -SIGKILL);
}

}  // namespace

Shared::Shared() {
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

const Shared& shared() {
  static Shared instance;
  return instance;
}

const char* const kModel = "mlp:784-4-10:tanh";

std::vector<std::string> spectrum(const fs::path& dir, const std::string& data, std::vector<std::string> extra,
                                  const std::string& model, const std::string& probe, fs::path out) {
  write(dir / "out.json", "{\"earlier\": \"good result\"}\n");
  if (out.empty()) out = dir / "out.json";
  std::vector<std::string> args = {"spectrum", "--model", model, "--data", data, "--probe", probe, "--top-k", "1",
                                   "--trace", "none", "--esd", "none", "--quiet", "--threads", "1",
                                   "--out", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<std::string> spectrum_on(const fs::path& folder, const fs::path& dir) {
  return spectrum(dir, "fashion-mnist:" + folder.string());
}

std::vector<std::string> model_spectrum(CaseDir& c, const std::string& model) {
  return spectrum(c.dir, "fashion-mnist:" + fashion_folder(c.dir).string(), {}, model);
}

std::vector<std::string> train_with(CaseDir& c, const std::string& ini, std::vector<std::string> extra) {
  write(c.dir / "run.ini", ini);
  std::vector<std::string> args = {"train", "--config", (c.dir / "run.ini").string(), "--run-dir",
                                   (c.dir / "run").string(), "--quiet", "--threads", "1",
                                   "--set", "data.dataset=gmm:256:4:4:1", "--set", "model.spec=mlp:16-8-4:tanh"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

const std::string kSchedule = "[schedule]\npolicy = constant\nlr = 0.1\n";
const std::string kRunnable = kSchedule + "[train]\nsteps = 5\n";
const std::string kStudyHead = "[study]\nname = tiny\nbase = base.ini\nout = out\n";

std::vector<std::string> study_with(CaseDir& c, const std::string& study) {
  write(c.dir / "base.ini", "[data]\ndataset = gmm:256:4:4:1\n[model]\nspec = mlp:16-8-4:tanh\n[train]\nsteps = 20\n");
  write(c.dir / "study.ini", study);
  return {"sweep", "--study", (c.dir / "study.ini").string(), "--dry-run"};
}

fs::path copy_run(CaseDir& c, const fs::path& run) {
  copy_tree(run, c.dir / "run");
  return c.dir / "run";
}

std::vector<std::string> offline(const fs::path& run, const std::string& checkpoints) {
  return {"spectrum", "--run", run.string(), "--checkpoints", checkpoints, "--quiet", "--threads", "1"};
}

std::vector<std::string> report_of(const std::vector<fs::path>& runs, const fs::path& out) {
  std::vector<std::string> args = {"report"};
  for (const auto& run : runs) args.push_back(run.string());
  args.insert(args.end(), {"--out", out.string(), "--quiet", "--no-render"});
  return args;
}

}  // namespace curvtrack::testing
