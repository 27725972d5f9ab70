#include "curvtrack/ranks/rank_environment.hpp"

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"

namespace curvtrack::ranks {
namespace {

std::optional<std::string> variable(const Getenv& getenv, const char* name) {
  const char* value = getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

int int_variable(const Getenv& getenv, const char* name, int fallback) {
  auto text = variable(getenv, name);
  return text ? static_cast<int>(core::parse_int(*text, std::string("environment variable ") + name)) : fallback;
}

}  // namespace

std::string first_host(const std::string& nodelist) {
  std::string host;
  for (std::size_t i = 0; i < nodelist.size(); ++i) {
    char c = nodelist[i];
    if (c == ',') break;
    if (c != '[') {
      host += c;
      continue;
    }
    std::size_t end = nodelist.find_first_of(",-]", i + 1);
    if (nodelist.find(']', i) == std::string::npos) throw core::UsageError("Slurm node list '" + nodelist + "' has an unclosed '['");
    return host + nodelist.substr(i + 1, end - i - 1);
  }
  if (host.empty()) throw core::UsageError("Slurm node list '" + nodelist + "' names no host");
  return host;
}

int port_for_job(std::int64_t job_id, std::int64_t step_id) {
  return 20000 + static_cast<int>((job_id * 7 + step_id) % 20000);
}

RankEnvironment rank_environment(const Getenv& getenv) {
  RankEnvironment environment;
  if (variable(getenv, "CURVTRACK_DIST") == std::optional<std::string>("off")) return environment;
  // srun sets SLURM_STEP_NUM_TASKS for the tasks of a job step; the batch script itself is
  // not a step of several tasks, so SLURM_NTASKS alone does not make this process a rank.
  if (variable(getenv, "SLURM_STEP_NUM_TASKS") && variable(getenv, "SLURM_PROCID")) {
    environment.rank = int_variable(getenv, "SLURM_PROCID", 0);
    environment.ranks = int_variable(getenv, "SLURM_STEP_NUM_TASKS", 1);
    environment.local_rank = int_variable(getenv, "SLURM_LOCALID", 0);
    // "2(x3),1": this node's count comes first for rank 0's node; a fair guess for the others.
    if (auto per_node = variable(getenv, "SLURM_STEP_TASKS_PER_NODE")) {
      environment.local_ranks = static_cast<int>(core::parse_int(per_node->substr(0, per_node->find_first_of("(,")),
                                                                 "environment variable SLURM_STEP_TASKS_PER_NODE"));
    } else {
      environment.local_ranks = environment.ranks;
    }
    if (auto nodes = variable(getenv, "SLURM_STEP_NODELIST")) environment.master_addr = first_host(*nodes);
    environment.master_port = port_for_job(int_variable(getenv, "SLURM_JOB_ID", 0),
                                           int_variable(getenv, "SLURM_STEP_ID", 0));
    environment.source = "srun (SLURM_PROCID, SLURM_STEP_NUM_TASKS)";
  } else if (variable(getenv, "WORLD_SIZE")) {
    environment.rank = int_variable(getenv, "RANK", 0);
    environment.ranks = int_variable(getenv, "WORLD_SIZE", 1);
    environment.local_rank = int_variable(getenv, "LOCAL_RANK", environment.rank);
    environment.local_ranks = int_variable(getenv, "LOCAL_WORLD_SIZE", environment.ranks);
    environment.source = "RANK, WORLD_SIZE";
  }
  if (auto address = variable(getenv, "MASTER_ADDR")) environment.master_addr = *address;
  environment.master_port = int_variable(getenv, "MASTER_PORT", environment.master_port);
  if (auto file = variable(getenv, "CURVTRACK_STORE_FILE")) environment.store_file = *file;

  if (environment.ranks < 1) {
    throw core::UsageError("rank environment (" + environment.source + "): " + std::to_string(environment.ranks) +
                           " ranks; need at least 1");
  }
  if (environment.rank < 0 || environment.rank >= environment.ranks) {
    throw core::UsageError("rank environment (" + environment.source + "): rank " + std::to_string(environment.rank) +
                           " is outside 0.." + std::to_string(environment.ranks - 1));
  }
  if (environment.master_port < 1 || environment.master_port > 65535) {
    throw core::UsageError("MASTER_PORT " + std::to_string(environment.master_port) + " is outside 1..65535");
  }
  return environment;
}

}  // namespace curvtrack::ranks
