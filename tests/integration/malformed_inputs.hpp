#pragma once
// Inputs for the malformed-input tables (malformed_table.hpp): bad files written on the spot,
// good runs and models made once per test process, and the commands the rows run.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "malformed_table.hpp"

namespace curvtrack::testing {

// ------------------------------------------------------------------ writing bad files

void write(const std::filesystem::path& path, const std::string& bytes);

/// An IDX file: 2 magic bytes (the first one `first_byte`), element type, rank, big-endian dims, payload.
std::string idx_bytes(const std::vector<std::uint32_t>& dims, std::size_t payload, unsigned char type = 0x08,
                      unsigned char first_byte = 0, unsigned char fill = 0);

extern const char* const kImages;  ///< t10k-images-idx3-ubyte
extern const char* const kLabels;  ///< t10k-labels-idx1-ubyte

/// A Fashion-MNIST-style folder DIR/fashion with a 10-example test split; either file may be replaced.
std::filesystem::path fashion_folder(const std::filesystem::path& dir,
                                     const std::string& images = idx_bytes({10, 28, 28}, 10 * 784),
                                     const std::string& labels = idx_bytes({10}, 10));

std::string gzip(const std::string& bytes);

/// A FIFO (mkfifo), a bound Unix socket, at `path`; REQUIREs that it worked.
void make_fifo(const std::filesystem::path& path);
void make_socket(const std::filesystem::path& path);

void copy_tree(const std::filesystem::path& from, const std::filesystem::path& to);

/// Inserts `line` as line `index` (0-based) of a text file.
void insert_line(const std::filesystem::path& path, std::size_t index, const std::string& line);

void edit_meta(const std::filesystem::path& run, const std::function<void(nlohmann::json&)>& edit);

// ------------------------------------------------------------------ shared good inputs

/// A tiny synthetic training run into `run_dir` (60 steps, checkpoints every 20, probes every 20).
std::vector<std::string> tiny_run(const std::filesystem::path& run_dir, std::vector<std::string> extra = {});

/// Good inputs made once per test process: runs, and models written with LibTorch.
struct Shared {
  TempDir dir;
  std::filesystem::path good_run;       ///< completed; checkpoints at 20, 40, 60; curvature records at 0, 20, 40, 60
  std::filesystem::path killed_run;     ///< killed right after its second checkpoint (LATEST = 40): resumable
  std::filesystem::path auto_run;       ///< schedule.lr_max = auto, killed after its first checkpoint: has lrfind.json
  std::filesystem::path inf_model;      ///< mlp_784_16_10_tanh.pt with one weight set to +inf
  std::filesystem::path no_parameters;  ///< a TorchScript model with no parameters (logits = first 10 pixels)
  Shared();
};
const Shared& shared();

// ------------------------------------------------------------------ commands

extern const char* const kModel;  ///< mlp:784-4-10:tanh

/// spectrum of a native model on a probe of `data`; the result goes to DIR/out.json (or `out`),
/// and DIR/out.json holds an earlier good result that must survive.
std::vector<std::string> spectrum(const std::filesystem::path& dir, const std::string& data,
                                  std::vector<std::string> extra = {}, const std::string& model = kModel,
                                  const std::string& probe = "test:all", std::filesystem::path out = {});

/// spectrum on a Fashion-MNIST-style folder.
std::vector<std::string> spectrum_on(const std::filesystem::path& folder, const std::filesystem::path& dir);

/// spectrum of `model` on a good Fashion-MNIST-style folder.
std::vector<std::string> model_spectrum(CaseDir& c, const std::string& model);

/// train with a config file holding `ini` (a tiny synthetic run unless the file says otherwise).
std::vector<std::string> train_with(CaseDir& c, const std::string& ini, std::vector<std::string> extra = {});

extern const std::string kSchedule;   ///< [schedule] constant at 0.1
extern const std::string kRunnable;   ///< kSchedule and 5 steps
extern const std::string kStudyHead;  ///< [study] name, base and out

/// sweep --dry-run of a study file holding `study` (base.ini: a tiny synthetic run).
std::vector<std::string> study_with(CaseDir& c, const std::string& study);

/// A copy of a run directory as DIR/run.
std::filesystem::path copy_run(CaseDir& c, const std::filesystem::path& run);

/// spectrum --run RUN --checkpoints SELECTION (offline probes).
std::vector<std::string> offline(const std::filesystem::path& run, const std::string& checkpoints);

/// report RUNS --out OUT --quiet --no-render.
std::vector<std::string> report_of(const std::vector<std::filesystem::path>& runs, const std::filesystem::path& out);

}  // namespace curvtrack::testing
