#include "test_prelude.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <filesystem>
#include <fstream>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/runs/run_directory.hpp"
#include "curvtrack/train/checkpoint.hpp"
#include "test_support.hpp"
#include "torch_support.hpp"

using namespace curvtrack;
using curvtrack::testing::bit_identical;
namespace fs = std::filesystem;

namespace {

// A run directory in a temporary folder, created empty.
struct TempRun {
  curvtrack::testing::TempDir dir;
  runs::RunDirectory run{dir.path() / "run"};
  TempRun() { run.create(); }
};

void take_steps(models::Network& network, train::Optimizer& optimizer, int steps) {
  at::Tensor inputs = at::randn({8, 1, 4, 4});
  at::Tensor labels = at::randint(3, {8}, at::kLong);
  for (int i = 0; i < steps; ++i) {
    for (auto& p : network.parameters()) p.mutable_grad() = at::Tensor();
    at::cross_entropy_loss(network.forward(inputs), labels).backward();
    optimizer.step(0.1, 0.9);
  }
}

void flip_a_byte(const fs::path& path) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(100);
  file.put('\x5a');
}

}  // namespace

TEST_CASE("a checkpoint restores parameters, optimizer state and trainer state exactly", "[unit]") {
  TempRun temp;
  auto network = models::make_network("mlp:16-5-3:tanh", 1);
  auto optimizer = train::make_optimizer(network->parameters(), {});
  take_steps(*network, *optimizer, 3);
  train::save_checkpoint(temp.run, *network, *optimizer, {3, 1.25, {}});
  REQUIRE(temp.run.latest_step() == 3);

  auto restored = models::make_network("mlp:16-5-3:tanh", 2);
  auto restored_optimizer = train::make_optimizer(restored->parameters(), {});
  REQUIRE_FALSE(bit_identical(network->parameters(), restored->parameters()));
  train::TrainerState state = train::load_checkpoint(temp.run.checkpoint(3), *restored, restored_optimizer.get());
  REQUIRE(state.step == 3);
  REQUIRE(state.initial_loss == 1.25);
  REQUIRE(bit_identical(network->parameters(), restored->parameters()));
  torch::manual_seed(5);
  take_steps(*network, *optimizer, 2);
  torch::manual_seed(5);
  take_steps(*restored, *restored_optimizer, 2);
  REQUIRE(bit_identical(network->parameters(), restored->parameters()));
}

TEST_CASE("a damaged checkpoint is refused and the newest good one is used instead", "[unit]") {
  TempRun temp;
  auto network = models::make_network("mlp:16-5-3:tanh", 1);
  auto optimizer = train::make_optimizer(network->parameters(), {});
  train::save_checkpoint(temp.run, *network, *optimizer, {10, 1.0, {}});
  train::save_checkpoint(temp.run, *network, *optimizer, {20, 1.0, {}});
  flip_a_byte(temp.run.checkpoint(20));
  REQUIRE_THROWS_AS(train::load_checkpoint(temp.run.checkpoint(20), *network, optimizer.get()), core::DataError);
  REQUIRE(train::latest_good_checkpoint(temp.run) == 10);

  SECTION("a corrupt LATEST pointer falls back too") {
    std::ofstream(temp.run.latest()) << "garbage";
    REQUIRE_THROWS_AS(temp.run.latest_step(), core::DataError);
    REQUIRE(train::latest_good_checkpoint(temp.run) == 10);
  }
  SECTION("a checkpoint for another model is a data error naming the file") {
    auto other = models::make_network("mlp:16-7-3:tanh", 1);
    REQUIRE_THROWS_WITH(train::load_checkpoint(temp.run.checkpoint(10), *other, nullptr),
                        Catch::Matchers::Contains("step-10.pt"));
  }
}
