#pragma once
// The ranks a run uses: launched alone, one rank; under srun -n R or with RANK /
// WORLD_SIZE set, R processes joined into a Gloo process group (libs/ranks).

#include <functional>
#include <memory>

#include "curvtrack/ranks/process_group.hpp"
#include "curvtrack/runs/run_directory.hpp"
#include "curvtrack/train/trainer.hpp"

namespace curvtrack::runner {

/// Joins this process's ranks (from the environment: srun or RANK/WORLD_SIZE), waiting at most
/// `timeout_seconds` (--dist-timeout) for all of them.
std::unique_ptr<ranks::ProcessGroup> join_ranks(int timeout_seconds);

/// The in-place sum over `group`'s ranks, as the HVP operator and the trainer take it.
std::function<void(at::Tensor&)> sum_over(const ranks::ProcessGroup& group);

/// Throws core::UsageError when a batch cannot give every rank at least one example.
void check_batch_split(const train::TrainerOptions& trainer, int ranks);

/// A private run directory for a rank that computes but does not write results; removed
/// with everything in it when this object ends.
class ScratchRunDirectory {
 public:
  explicit ScratchRunDirectory(int rank);
  ~ScratchRunDirectory();
  ScratchRunDirectory(const ScratchRunDirectory&) = delete;
  ScratchRunDirectory& operator=(const ScratchRunDirectory&) = delete;
  runs::RunDirectory run() const { return runs::RunDirectory(root_); }

 private:
  std::filesystem::path root_;
};

}  // namespace curvtrack::runner
