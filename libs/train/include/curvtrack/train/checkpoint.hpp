#pragma once
// Checkpoints: model parameters and buffers, optimizer state and the trainer's own state in
// one file, written to a temporary name then renamed, with a fingerprint checked on load.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "curvtrack/models/network.hpp"
#include "curvtrack/runs/run_directory.hpp"
#include "curvtrack/train/optimizer.hpp"

namespace curvtrack::train {

/// Trainer state that is not in the model or optimizer.
struct TrainerState {
  std::int64_t step = 0;          ///< updates done; the next update has this index
  double initial_loss = 0.0;      ///< loss of the first batch, for the divergence guard
  /// Each training callback's own state (e.g. warm-start eigenvectors), in callback order.
  std::vector<std::vector<at::Tensor>> callback_states;
};

/// Writes checkpoints/step-N.pt (+ its .fnv fingerprint), then points LATEST at it.
void save_checkpoint(const runs::RunDirectory& run, models::Network& network, const Optimizer& optimizer,
                     const TrainerState& state);

/// Loads a checkpoint file into network and optimizer (either may be null to skip it); throws
/// core::DataError naming the file when it is damaged (fingerprint mismatch) or does not fit.
TrainerState load_checkpoint(const std::filesystem::path& path, models::Network& network, Optimizer* optimizer);

/// The newest checkpoint that verifies: LATEST's first, then older ones (each damaged one is
/// reported on stderr and skipped). Nothing when the run has no usable checkpoint.
std::optional<std::int64_t> latest_good_checkpoint(const runs::RunDirectory& run);

}  // namespace curvtrack::train
