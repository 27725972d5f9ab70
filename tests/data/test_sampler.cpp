#include "test_prelude.hpp"

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/data/sampler.hpp"

using namespace curvtrack::data;
using Catch::Matchers::Contains;
using curvtrack::core::UsageError;

namespace {

bool is_permutation_of_range(std::vector<std::int64_t> order, std::int64_t size) {
  std::sort(order.begin(), order.end());
  std::vector<std::int64_t> range(static_cast<std::size_t>(size));
  std::iota(range.begin(), range.end(), std::int64_t{0});
  return order == range;
}

}  // namespace

TEST_CASE("epoch_order is a permutation of 0..size-1", "[unit]") {
  for (std::int64_t size : {0, 1, 2, 7, 1000}) {
    INFO("size " << size);
    REQUIRE(is_permutation_of_range(epoch_order(size, 42, 3), size));
  }
}

TEST_CASE("epoch_order is a pure function of (seed, epoch) and differs across epochs and seeds",
          "[unit]") {
  const std::vector<std::int64_t> base = epoch_order(500, 7, 2);
  REQUIRE(base == epoch_order(500, 7, 2));
  // Calls for other arguments in between do not disturb it (no hidden state).
  (void)epoch_order(500, 8, 0);
  REQUIRE(base == epoch_order(500, 7, 2));
  REQUIRE(base != epoch_order(500, 7, 3));
  REQUIRE(base != epoch_order(500, 8, 2));
  REQUIRE(epoch_order(500, 7, 0) != epoch_order(500, 7, 1));
  std::vector<std::int64_t> identity(500);
  std::iota(identity.begin(), identity.end(), std::int64_t{0});
  REQUIRE(base != identity);
}

TEST_CASE("epoch_order puts each example at each position about equally often", "[unit]") {
  // 4 examples, 8000 epochs: each (example, position) count is Binomial(8000, 1/4), sd ~39.
  std::int64_t counts[4][4] = {};
  for (std::int64_t epoch = 0; epoch < 8000; ++epoch) {
    std::vector<std::int64_t> order = epoch_order(4, 99, epoch);
    for (std::size_t position = 0; position < 4; ++position) ++counts[order[position]][position];
  }
  for (auto& row : counts) {
    for (std::int64_t count : row) {
      INFO("count " << count);
      REQUIRE(std::abs(count - 2000) < 200);  // > 5 standard deviations
    }
  }
}

TEST_CASE("batches_per_epoch floors with drop_last and rounds up without", "[unit]") {
  REQUIRE(batches_per_epoch(1000, {128, true, true}) == 7);
  REQUIRE(batches_per_epoch(1000, {128, false, true}) == 8);
  REQUIRE(batches_per_epoch(1024, {128, true, true}) == 8);
  REQUIRE(batches_per_epoch(1024, {128, false, true}) == 8);
  REQUIRE(batches_per_epoch(5, {10, false, true}) == 1);
  REQUIRE(batches_per_epoch(50000, BatchPlan{}) == 390);
}

TEST_CASE("a batch larger than the dataset with drop_last is a usage error naming both sizes",
          "[unit]") {
  REQUIRE_THROWS_AS(batches_per_epoch(100, {128, true, true}), UsageError);
  REQUIRE_THROWS_WITH(batches_per_epoch(100, {128, true, true}),
                      Contains("batch size 128") && Contains("100 examples"));
  REQUIRE_THROWS_AS(batches_per_epoch(0, {1, false, true}), UsageError);
  REQUIRE_THROWS_AS(batches_per_epoch(10, {0, false, true}), UsageError);
  REQUIRE_THROWS_AS(step_indices(0, 100, {128, true, true}, 1), UsageError);
  REQUIRE_THROWS_AS(step_position(-1, 100, {10, true, true}), UsageError);
}

TEST_CASE("step_position crosses epoch boundaries after batches_per_epoch steps", "[unit]") {
  const BatchPlan plan{32, true, true};  // 100 examples: 3 batches per epoch
  auto at = [&](std::int64_t step) { return step_position(step, 100, plan); };
  REQUIRE((at(0).epoch == 0 && at(0).batch == 0));
  REQUIRE((at(2).epoch == 0 && at(2).batch == 2));
  REQUIRE((at(3).epoch == 1 && at(3).batch == 0));
  REQUIRE((at(5).epoch == 1 && at(5).batch == 2));
  REQUIRE((at(6).epoch == 2 && at(6).batch == 0));
  const BatchPlan keep{32, false, true};  // 4 batches per epoch, the last one of 4 examples
  REQUIRE((step_position(3, 100, keep).epoch == 0 && step_position(3, 100, keep).batch == 3));
  REQUIRE((step_position(4, 100, keep).epoch == 1 && step_position(4, 100, keep).batch == 0));
}

TEST_CASE("one epoch of step_indices without drop_last covers every example once, in epoch order",
          "[unit]") {
  const BatchPlan plan{16, false, true};
  const std::int64_t size = 103, seed = 5;
  for (std::int64_t epoch : {0, 1, 4}) {
    const std::int64_t batches = batches_per_epoch(size, plan);
    REQUIRE(batches == 7);
    std::vector<std::int64_t> seen;
    for (std::int64_t b = 0; b < batches; ++b) {
      std::vector<std::int64_t> batch = step_indices(epoch * batches + b, size, plan, seed);
      REQUIRE(batch.size() == (b < 6 ? 16u : 7u));
      seen.insert(seen.end(), batch.begin(), batch.end());
    }
    INFO("epoch " << epoch);
    REQUIRE(seen == epoch_order(size, seed, epoch));
    REQUIRE(is_permutation_of_range(seen, size));
  }
}

TEST_CASE("step_indices with drop_last are the full-batch slices of the epoch order", "[unit]") {
  const BatchPlan plan{10, true, true};
  const std::vector<std::int64_t> order = epoch_order(35, 11, 1);
  for (std::int64_t b = 0; b < 3; ++b) {
    std::vector<std::int64_t> expected(order.begin() + b * 10, order.begin() + b * 10 + 10);
    REQUIRE(step_indices(3 + b, 35, plan, 11) == expected);
  }
}

TEST_CASE("without shuffle every epoch visits examples in index order", "[unit]") {
  const BatchPlan plan{4, false, false};
  REQUIRE(step_indices(0, 10, plan, 3) == std::vector<std::int64_t>{0, 1, 2, 3});
  REQUIRE(step_indices(2, 10, plan, 3) == std::vector<std::int64_t>{8, 9});
  REQUIRE(step_indices(3, 10, plan, 3) == std::vector<std::int64_t>{0, 1, 2, 3});
}

TEST_CASE("EpochCache returns exactly the pure step_indices, resuming anywhere", "[unit]") {
  EpochCache cache;
  const BatchPlan plan{8, true, true};
  // Forward, a jump back (resume), another seed, another size, another plan.
  for (std::int64_t step : {0, 1, 2, 5, 6, 13, 2, 3}) {
    REQUIRE(cache.step_indices(step, 50, plan, 9) == step_indices(step, 50, plan, 9));
  }
  REQUIRE(cache.step_indices(3, 50, plan, 10) == step_indices(3, 50, plan, 10));
  REQUIRE(cache.step_indices(3, 60, plan, 10) == step_indices(3, 60, plan, 10));
  const BatchPlan ordered{8, true, false};
  REQUIRE(cache.step_indices(3, 60, ordered, 10) == step_indices(3, 60, ordered, 10));
}
