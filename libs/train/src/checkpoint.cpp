#include "curvtrack/train/checkpoint.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/fault_injection.hpp"
#include "curvtrack/core/hash.hpp"
#include "curvtrack/core/text.hpp"

namespace curvtrack::train {
namespace {

std::filesystem::path fingerprint_path(const std::filesystem::path& checkpoint) {
  return checkpoint.string() + ".fnv";
}

// Fault injection for the crash tests (tests/integration/test_fault_injection.cpp):
// CURVTRACK_FAULT_KILL_IN_CHECKPOINT=N[:PHASE] makes the N-th checkpoint written by this
// process (1-based) die of SIGKILL at PHASE: "data" (default) halfway through writing
// step-S.pt's temporary file, "fingerprint" after step-S.pt is in place but before its .fnv,
// "latest" before LATEST is moved, "done" after LATEST but before meta.json records it.
enum class KillPhase { kNone, kData, kFingerprint, kLatest, kDone };

KillPhase kill_phase_for_this_checkpoint() {
  static int written = 0;
  ++written;
  const char* request = std::getenv("CURVTRACK_FAULT_KILL_IN_CHECKPOINT");
  if (request == nullptr || *request == '\0') return KillPhase::kNone;
  std::string text = request;
  std::string phase = text.find(':') == std::string::npos ? "data" : text.substr(text.find(':') + 1);
  if (std::atoi(text.c_str()) != written) return KillPhase::kNone;
  if (phase == "fingerprint") return KillPhase::kFingerprint;
  if (phase == "latest") return KillPhase::kLatest;
  if (phase == "done") return KillPhase::kDone;
  return KillPhase::kData;
}

// True when the fingerprint file next to the checkpoint matches its bytes.
bool fingerprint_matches(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::path fingerprint = fingerprint_path(path);
  return std::filesystem::exists(fingerprint) &&
         core::trim(core::read_file(fingerprint)) == core::fnv1a64_hex(bytes);
}

void write_list(torch::serialize::OutputArchive& archive, const std::string& prefix,
                const std::vector<at::Tensor>& tensors) {
  archive.write(prefix + ".count", at::scalar_tensor(static_cast<std::int64_t>(tensors.size()), at::kLong));
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    archive.write(prefix + "." + std::to_string(i), tensors[i].detach().cpu());
  }
}

std::vector<at::Tensor> read_list(torch::serialize::InputArchive& archive, const std::string& prefix) {
  at::Tensor count;
  archive.read(prefix + ".count", count);
  std::vector<at::Tensor> tensors(static_cast<std::size_t>(count.item<std::int64_t>()));
  for (std::size_t i = 0; i < tensors.size(); ++i) archive.read(prefix + "." + std::to_string(i), tensors[i]);
  return tensors;
}

void copy_into(const std::vector<at::Tensor>& source, std::vector<at::Tensor> target, const std::string& what,
               const std::filesystem::path& path) {
  if (source.size() != target.size()) {
    throw core::DataError(path.string() + " holds " + std::to_string(source.size()) + " " + what + " tensors, the model has " +
                          std::to_string(target.size()));
  }
  c10::NoGradGuard no_grad;
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (!source[i].sizes().equals(target[i].sizes())) {
      throw core::DataError(path.string() + ": " + what + " " + std::to_string(i) + " has shape " +
                            c10::str(source[i].sizes()) + ", the model expects " + c10::str(target[i].sizes()));
    }
    target[i].copy_(source[i]);
  }
}

}  // namespace

void save_checkpoint(const runs::RunDirectory& run, models::Network& network, const Optimizer& optimizer,
                     const TrainerState& state) {
  torch::serialize::OutputArchive archive;
  archive.write("step", at::scalar_tensor(state.step, at::kLong));
  archive.write("initial_loss", at::scalar_tensor(state.initial_loss, at::kDouble));
  archive.write("optimizer_steps", at::scalar_tensor(optimizer.steps(), at::kLong));
  write_list(archive, "parameter", network.parameters());
  write_list(archive, "buffer", network.buffers());
  write_list(archive, "optimizer", optimizer.state());
  archive.write("callbacks", at::scalar_tensor(static_cast<std::int64_t>(state.callback_states.size()), at::kLong));
  for (std::size_t c = 0; c < state.callback_states.size(); ++c) {
    write_list(archive, "callback" + std::to_string(c), state.callback_states[c]);
  }
  std::ostringstream bytes;
  archive.save_to(bytes);
  std::filesystem::path path = run.checkpoint(state.step);
  KillPhase kill = kill_phase_for_this_checkpoint();
  if (kill == KillPhase::kData) core::kill_during_next_atomic_write(bytes.str().size() / 2);
  core::write_file_atomically(path, bytes.str());
  if (kill == KillPhase::kFingerprint) core::kill_now();
  try {
    core::write_file_atomically(fingerprint_path(path), core::fnv1a64_hex(bytes.str()) + "\n");
  } catch (const std::exception&) {
    std::error_code ignored;  // no checkpoint without its fingerprint (a full disk, say)
    std::filesystem::remove(path, ignored);
    throw;
  }
  if (kill == KillPhase::kLatest) core::kill_now();
  run.set_latest(state.step);
  if (kill == KillPhase::kDone) core::kill_now();
}

TrainerState load_checkpoint(const std::filesystem::path& path, models::Network& network, Optimizer* optimizer) {
  std::string bytes = core::read_file(path);
  if (!fingerprint_matches(path, bytes)) {
    throw core::DataError("checkpoint " + path.string() + " is damaged or incomplete (fingerprint " +
                          fingerprint_path(path).string() + " missing or different)");
  }
  TrainerState state;
  try {
    torch::serialize::InputArchive archive;
    std::istringstream stream(bytes);
    archive.load_from(stream);
    at::Tensor step, initial_loss, optimizer_steps;
    archive.read("step", step);
    archive.read("initial_loss", initial_loss);
    archive.read("optimizer_steps", optimizer_steps);
    state.step = step.item<std::int64_t>();
    state.initial_loss = initial_loss.item<double>();
    copy_into(read_list(archive, "parameter"), network.parameters(), "parameter", path);
    copy_into(read_list(archive, "buffer"), network.buffers(), "buffer", path);
    if (optimizer != nullptr) optimizer->load_state(read_list(archive, "optimizer"), optimizer_steps.item<std::int64_t>());
    at::Tensor callbacks;
    archive.read("callbacks", callbacks);
    for (std::int64_t c = 0; c < callbacks.item<std::int64_t>(); ++c) {
      state.callback_states.push_back(read_list(archive, "callback" + std::to_string(c)));
    }
  } catch (const c10::Error& error) {
    throw core::DataError("cannot read checkpoint " + path.string() + ": " + core::without_backtrace(error.what_without_backtrace()));
  }
  return state;
}

std::optional<std::int64_t> latest_good_checkpoint(const runs::RunDirectory& run) {
  std::vector<std::int64_t> steps = run.checkpoint_steps();
  std::int64_t latest = -1;  // -1: LATEST missing or corrupt
  try {
    latest = run.latest_step().value_or(-1);
  } catch (const core::DataError& error) {
    std::fprintf(stderr, "warning: %s; looking for an older checkpoint\n", error.what());
  }
  // Candidates: LATEST first, then every older checkpoint, newest first.
  std::sort(steps.rbegin(), steps.rend());
  if (latest >= 0) {
    steps.erase(std::remove_if(steps.begin(), steps.end(), [&](std::int64_t s) { return s > latest; }), steps.end());
  }
  for (std::int64_t step : steps) {
    std::filesystem::path path = run.checkpoint(step);
    if (fingerprint_matches(path, core::read_file(path))) {
      if (latest >= 0 && step != latest) {
        std::fprintf(stderr, "warning: falling back to checkpoint %s\n", path.string().c_str());
      }
      return step;
    }
    std::fprintf(stderr, "warning: checkpoint %s is damaged or incomplete; skipped\n", path.string().c_str());
  }
  return std::nullopt;
}

}  // namespace curvtrack::train
