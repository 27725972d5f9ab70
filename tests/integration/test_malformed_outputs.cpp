// Malformed-input table (malformed_table.hpp), outputs: unwritable, read-only and full outputs
// exit 3 naming the path and leave earlier results intact. Tests run as root, for whom
// permission bits stop nothing: "read-only" outputs are a read-only tmpfs or /proc, a "full
// disk" is a tiny tmpfs or RLIMIT_FSIZE. The tmpfs rows need mount(2) (root with CAP_SYS_ADMIN)
// and are skipped, with a warning, where it is not allowed; the others cover the same paths.

#include "test_prelude.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "malformed_inputs.hpp"

using namespace curvtrack::testing;
namespace fs = std::filesystem;

namespace {

std::vector<Case> output_cases() {
  SpawnOptions small_files;
  small_files.file_size_limit = 1024;
  SpawnOptions checkpoint_too_big;  // config.ini (6.2 kB) fits, the first checkpoint (8.1 kB) does not
  checkpoint_too_big.file_size_limit = 7168;
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

// An output path that names something other than a regular file is refused before anything is
// written (exit 3 naming the path and what it is): an atomic rename would replace a device,
// FIFO, socket or folder with a regular file, and an append would block on a FIFO or feed a
// device. Only FIFOs, sockets, folders and links in the row's own folder are used; the link to
// /dev/null is only ever stat'ed (a rename would replace the link, never the device).
std::vector<Case> special_file_cases() {
  auto fashion = [](CaseDir& c) { return "fashion-mnist:" + fashion_folder(c.dir).string(); };
  auto schedule = [](const fs::path& out, const std::string& steps) {
    return std::vector<std::string>{"schedule", "--set", "schedule.policy=constant", "--set", "schedule.lr=0.1",
                                    "--steps", steps, "--out", out.string()};
  };
  // A resumable run (killed after its checkpoint at 40) with one of its files replaced.
  auto resume_with = [](CaseDir& c, const std::string& file, const std::function<void(const fs::path&)>& replace) {
    fs::path run = copy_run(c, shared().killed_run);
    fs::remove(run / file);
    replace(run / file);
    return tiny_run(run, {"--resume", "auto"});
  };
  const std::vector<std::string> run_files = {"run/meta.json", "run/config.ini", "run/probe.txt", "run/metrics.csv",
                                              "run/curvature.jsonl"};
  SpawnOptions small_files;
  small_files.file_size_limit = 1 << 20;
  return {
      {"spectrum --out a FIFO", [=](CaseDir& c) {
         make_fifo(c.dir / "out.fifo");
         return spectrum(c.dir, fashion(c), {}, kModel, "test:all", c.dir / "out.fifo");
       }, 3, {"out.fifo", "it is a FIFO (named pipe), not a regular file", "only create or replace regular files"}},
      {"spectrum --out a folder", [=](CaseDir& c) {
         fs::create_directory(c.dir / "outdir");
         return spectrum(c.dir, fashion(c), {}, kModel, "test:all", c.dir / "outdir");
       }, 3, {"outdir", "it is a directory"}},
      {"spectrum --out a socket", [=](CaseDir& c) {
         make_socket(c.dir / "out.sock");
         return spectrum(c.dir, fashion(c), {}, kModel, "test:all", c.dir / "out.sock");
       }, 3, {"out.sock", "it is a socket"}},
      {"spectrum --out a symbolic link to a character device", [=](CaseDir& c) {
         fs::create_symlink("/dev/null", c.dir / "null.json");
         return spectrum(c.dir, fashion(c), {}, kModel, "test:all", c.dir / "null.json");
       }, 3, {"null.json", "symbolic link to a character device (/dev/null)"}},
      {"spectrum --out a symbolic link to a FIFO", [=](CaseDir& c) {
         make_fifo(c.dir / "pipe");
         fs::create_symlink(c.dir / "pipe", c.dir / "link.json");
         return spectrum(c.dir, fashion(c), {}, kModel, "test:all", c.dir / "link.json");
       }, 3, {"link.json", "symbolic link to a FIFO"}},
      {"spectrum --out a dangling symbolic link", [=](CaseDir& c) {
         fs::create_symlink(c.dir / "nowhere/file.json", c.dir / "dangling.json");
         return spectrum(c.dir, fashion(c), {}, kModel, "test:all", c.dir / "dangling.json");
       }, 3, {"dangling.json", "nowhere/file.json", "cannot be reached"}},
      {"schedule --out a FIFO", [=](CaseDir& c) {
         make_fifo(c.dir / "schedule.csv");
         return schedule(c.dir / "schedule.csv", "100");
       }, 3, {"schedule.csv", "FIFO"}},
      {"schedule of 99999999999 steps past the file size limit (streamed, not built in memory)", [=](CaseDir& c) {
         return schedule(c.dir / "schedule.csv", "99999999999");
       }, 3, {"schedule.csv", "File too large"}, small_files},
      {"run whose metrics.csv is a FIFO (resume)", [=](CaseDir& c) {
         return resume_with(c, "metrics.csv", make_fifo);
       }, 3, {"run/metrics.csv", "FIFO"}, {}, run_files},
      {"run whose curvature.jsonl is a link to a character device (resume)", [=](CaseDir& c) {
         return resume_with(c, "curvature.jsonl", [](const fs::path& path) { fs::create_symlink("/dev/null", path); });
       }, 3, {"run/curvature.jsonl", "character device"}, {}, run_files},
      {"run whose meta.json is a FIFO (resume)", [=](CaseDir& c) { return resume_with(c, "meta.json", make_fifo); },
       3, {"run/meta.json"}, {}, run_files},
      {"run whose probe.txt is a folder (resume)", [=](CaseDir& c) {
         return resume_with(c, "probe.txt", [](const fs::path& path) { fs::create_directory(path); });
       }, 3, {"run/probe.txt", "it is a directory"}, {}, run_files},
      {"run whose curvature.jsonl is a FIFO (offline probe)", [](CaseDir& c) {
         fs::path run = copy_run(c, shared().good_run);
         fs::remove(run / "curvature.jsonl");
         make_fifo(run / "curvature.jsonl");
         return offline(run, "all");
       }, 3, {"run/curvature.jsonl", "FIFO"}, {}, {"run/probe.txt"}},
      {"report --out a FIFO", [](CaseDir& c) {
         make_fifo(c.dir / "report");
         return report_of({shared().good_run}, c.dir / "report");
       }, 2, {"report", "not a folder"}},
      {"report --out a symbolic link to a FIFO", [](CaseDir& c) {
         make_fifo(c.dir / "pipe");
         fs::create_symlink(c.dir / "pipe", c.dir / "report");
         return report_of({shared().good_run}, c.dir / "report");
       }, 2, {"report", "symbolic link to", "not a folder"}},
      {"lrfind --out folder whose lrfind.json is a FIFO", [](CaseDir& c) {
         fs::create_directories(c.dir / "lrfind");
         make_fifo(c.dir / "lrfind/lrfind.json");
         return std::vector<std::string>{"lrfind", "--out", (c.dir / "lrfind").string(), "--quiet", "--threads", "1",
                                         "--set", "data.dataset=gmm:256:4:4:1", "--set", "model.spec=mlp:16-8-4:tanh",
                                         "--num-it", "10"};
       }, 3, {"lrfind/lrfind.json", "FIFO"}},
      {"lrfind --out a regular file", [](CaseDir& c) {
         write(c.dir / "lrfind", "x");
         return std::vector<std::string>{"lrfind", "--out", (c.dir / "lrfind").string(), "--quiet", "--threads", "1",
                                         "--set", "data.dataset=gmm:256:4:4:1", "--set", "model.spec=mlp:16-8-4:tanh"};
       }, 3, {"lrfind", "not a folder"}},
  };
}

const bool registered = register_table("outputs", output_cases);
const bool registered_special = register_table("outputs that are not regular files", special_file_cases);

}  // namespace

TEST_CASE("unwritable, read-only and full outputs exit 3 naming the path and leave earlier results intact", "[integration]") {
  run_table("outputs", output_cases());
}

TEST_CASE("outputs that are not regular files are refused, exit 3 naming the path, and left as they were",
          "[integration]") {
  run_table("outputs that are not regular files", special_file_cases());
}

// The schedule table is streamed: the first rows of an absurdly long schedule arrive at once,
// in bounded memory (the whole table would be terabytes).
TEST_CASE("schedule streams the rows of a 99999999999-step schedule", "[integration]") {
  TempDir dir;
  const std::string command = std::string("timeout 120 sh -c \"'") + CURVTRACK_BINARY +
                              "' schedule --set schedule.policy=constant --set schedule.lr=0.1 --steps 99999999999"
                              " | head -n 3\" > '" + (dir.path() / "head.csv").string() + "' 2>/dev/null";
  int status = std::system(command.c_str());
  INFO(command);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) != 124);  // not timed out
  CHECK(slurp(dir.path() / "head.csv") == "step,lr,momentum\n0,0.10000000000000001,0.90000000000000002\n"
                                          "1,0.10000000000000001,0.90000000000000002\n");
}

// A sweep whose run has a FIFO for train.log: that run fails (named, with the reason) instead of
// the sweep blocking on the open, the other runs go on, and the FIFO is left as it was.
TEST_CASE("a sweep run whose train.log is a FIFO fails by name without blocking the sweep", "[integration]") {
  TempDir dir;
  write(dir.path() / "base.ini", "[data]\ndataset = gmm:256:4:4:1\n[model]\nspec = mlp:16-8-4:tanh\n"
                                 "[schedule]\npolicy = constant\nlr = 0.1\n[train]\nsteps = 20\n");
  write(dir.path() / "study.ini", "[study]\nname = tiny\nbase = base.ini\nout = out\nseeds = 0-1\n[arm.a]\nschedule.lr = 0.1\n");
  fs::create_directories(dir.path() / "out/a/seed-0");
  make_fifo(dir.path() / "out/a/seed-0/train.log");
  bool hung = false;
  ToolRun sweep = run_tool_bounded({"sweep", "--study", (dir.path() / "study.ini").string(), "--jobs", "1", "--threads", "1"},
                                   {}, 300, hung);
  INFO(sweep.err);
  CHECK_FALSE(hung);
  CHECK(sweep.exit_code == 1);  // a failed run (not a usage or data error of the sweep itself)
  CHECK(sweep.err.find("a/seed-0: cannot write " + (dir.path() / "out/a/seed-0/train.log").string() +
                       ": it is a FIFO (named pipe)") != std::string::npos);
  CHECK(sweep.err.find("1 completed") != std::string::npos);
  CHECK(fs::is_fifo(dir.path() / "out/a/seed-0/train.log"));
  CHECK(status_of(slurp(dir.path() / "out/a/seed-1/meta.json")) == "completed");
}
