#pragma once
// Which rank this process is and where the ranks meet, read from the launcher's environment:
// srun (SLURM_PROCID, SLURM_STEP_NUM_TASKS, SLURM_LOCALID, SLURM_STEP_NODELIST, SLURM_JOB_ID)
// or torchrun style (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT). Torch-free.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace curvtrack::ranks {

/// This process's place among the ranks of one job step.
struct RankEnvironment {
  int rank = 0;
  int ranks = 1;
  int local_rank = 0;
  int local_ranks = 1;                    ///< ranks on this node (they share its cores)
  std::string master_addr = "127.0.0.1";  ///< where rank 0 serves the TCP rendezvous store
  int master_port = 29500;
  std::string store_file;                 ///< CURVTRACK_STORE_FILE: FileStore rendezvous on a shared filesystem instead
  std::string source = "single process";  ///< which variables decided it, for messages and settings
};

/// Reads a variable; returns nullptr when unset (std::getenv's contract).
using Getenv = std::function<const char*(const char*)>;

/// The rank environment from the variables (CURVTRACK_DIST=off forces a single process).
/// MASTER_ADDR / MASTER_PORT override what srun implies. Throws core::UsageError naming the
/// variable when a value is malformed or inconsistent (rank outside 0..ranks-1).
RankEnvironment rank_environment(const Getenv& getenv);

/// The first host of a Slurm node list: "n1" -> n1, "node[03-05,9],gpu1" -> node03.
std::string first_host(const std::string& nodelist);

/// The rendezvous port for a Slurm job: 20000 + (job id * 7 + step) mod 20000, so that
/// concurrent jobs on one node rarely collide.
int port_for_job(std::int64_t job_id, std::int64_t step_id);

}  // namespace curvtrack::ranks
