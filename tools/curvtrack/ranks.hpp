#pragma once
// The ranks a command runs over: launched alone, one rank; under srun -n R or with RANK /
// WORLD_SIZE set, R processes joined into a Gloo process group (libs/dist).

#include <functional>
#include <memory>

#include "command_line.hpp"
#include "curvtrack/dist/process_group.hpp"
#include "curvtrack/runs/run_directory.hpp"
#include "curvtrack/train/trainer.hpp"

namespace curvtrack::tool {

/// Joins this process's ranks, waiting at most --dist-timeout seconds for all of them.
std::unique_ptr<dist::ProcessGroup> join_ranks(const RuntimeOptions& runtime);

/// The in-place sum over `group`'s ranks, as the HVP operator and the trainer take it.
std::function<void(at::Tensor&)> sum_over(const dist::ProcessGroup& group);

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

}  // namespace curvtrack::tool
