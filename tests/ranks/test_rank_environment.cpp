#include "test_prelude.hpp"

#include <map>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/ranks/rank_environment.hpp"

using namespace curvtrack;
using Catch::Matchers::Contains;

namespace {

ranks::Getenv fake(const std::map<std::string, std::string>& variables) {
  return [variables](const char* name) -> const char* {
    auto found = variables.find(name);
    return found == variables.end() ? nullptr : found->second.c_str();
  };
}

}  // namespace

TEST_CASE("a process launched alone is the only rank", "[unit]") {
  auto environment = ranks::rank_environment(fake({}));
  CHECK(environment.rank == 0);
  CHECK(environment.ranks == 1);
  CHECK(environment.source == "single process");
}

TEST_CASE("srun's variables make a rank, with the port derived from the job", "[unit]") {
  auto environment = ranks::rank_environment(fake({{"SLURM_PROCID", "3"},
                                                  {"SLURM_STEP_NUM_TASKS", "4"},
                                                  {"SLURM_LOCALID", "1"},
                                                  {"SLURM_STEP_TASKS_PER_NODE", "2(x2)"},
                                                  {"SLURM_STEP_NODELIST", "node[07-08]"},
                                                  {"SLURM_JOB_ID", "1234"},
                                                  {"SLURM_STEP_ID", "2"}}));
  CHECK(environment.rank == 3);
  CHECK(environment.ranks == 4);
  CHECK(environment.local_rank == 1);
  CHECK(environment.local_ranks == 2);
  CHECK(environment.master_addr == "node07");
  CHECK(environment.master_port == 20000 + (1234 * 7 + 2) % 20000);
  // The batch script alone (no job step of several tasks) is not a rank.
  CHECK(ranks::rank_environment(fake({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}})).ranks == 1);
  // CURVTRACK_DIST=off wins.
  CHECK(ranks::rank_environment(fake({{"CURVTRACK_DIST", "off"}, {"WORLD_SIZE", "2"}, {"RANK", "1"}})).ranks == 1);
}

TEST_CASE("torchrun-style variables make a rank; MASTER_ADDR and MASTER_PORT override", "[unit]") {
  auto environment = ranks::rank_environment(
      fake({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "10.0.0.5"}, {"MASTER_PORT", "31000"}}));
  CHECK(environment.rank == 1);
  CHECK(environment.ranks == 2);
  CHECK(environment.local_ranks == 2);
  CHECK(environment.master_addr == "10.0.0.5");
  CHECK(environment.master_port == 31000);
}

TEST_CASE("inconsistent rank variables are errors naming the variable or value", "[unit]") {
  CHECK_THROWS_WITH(ranks::rank_environment(fake({{"RANK", "2"}, {"WORLD_SIZE", "2"}})), Contains("rank 2 is outside 0..1"));
  CHECK_THROWS_WITH(ranks::rank_environment(fake({{"RANK", "x"}, {"WORLD_SIZE", "2"}})), Contains("RANK"));
  CHECK_THROWS_WITH(ranks::rank_environment(fake({{"RANK", "0"}, {"WORLD_SIZE", "0"}})), Contains("0 ranks"));
  CHECK_THROWS_WITH(ranks::rank_environment(fake({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}})),
                    Contains("MASTER_PORT 70000"));
  CHECK_THROWS_AS(ranks::first_host("node[01-04"), core::UsageError);
}

TEST_CASE("Slurm node lists give their first host", "[unit]") {
  CHECK(ranks::first_host("localhost") == "localhost");
  CHECK(ranks::first_host("a,b") == "a");
  CHECK(ranks::first_host("gpu[3,5-9],cpu1") == "gpu3");
  CHECK(ranks::first_host("n[10-12]") == "n10");
}
