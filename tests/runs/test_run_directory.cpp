#include "test_prelude.hpp"

#include <filesystem>
#include <fstream>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/runs/meta.hpp"
#include "curvtrack/runs/run_directory.hpp"
#include "test_support.hpp"

using namespace curvtrack;

TEST_CASE("LATEST names an existing checkpoint or is reported as corrupt", "[unit]") {
  curvtrack::testing::TempDir dir;
  runs::RunDirectory run(dir.path() / "run");
  REQUIRE_FALSE(run.has_content());
  run.create();
  REQUIRE_FALSE(run.latest_step().has_value());
  std::ofstream(run.checkpoint(40)) << "x";
  std::ofstream(run.checkpoint(8)) << "x";
  REQUIRE(run.checkpoint_steps() == std::vector<std::int64_t>{8, 40});
  run.set_latest(40);
  REQUIRE(run.latest_step() == 40);
  run.set_latest(41);
  REQUIRE_THROWS_WITH(run.latest_step(), Catch::Matchers::Contains("step-41.pt"));
  std::ofstream(run.latest()) << "forty";
  REQUIRE_THROWS_AS(run.latest_step(), core::DataError);

  runs::RunMeta meta(run.meta());
  meta.record().status = runs::RunStatus::kRunning;
  meta.save();
  REQUIRE(runs::RunMeta(run.meta()).record().status == runs::RunStatus::kRunning);
  REQUIRE(nlohmann::json::parse(core::read_file(run.meta()))["status"] == "running");
  std::ofstream(run.meta()) << "{broken";
  REQUIRE_THROWS_AS(runs::RunMeta(run.meta()), core::DataError);
}
