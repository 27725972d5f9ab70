#pragma once
// Deterministic batch samplers: pure functions of (seed, epoch, step), so a resumed run
// regenerates exactly the batches of an uninterrupted one. Torch-free.

#include <cstdint>
#include <vector>

namespace curvtrack::data {

/// Shuffled order of [0, size) for an epoch: a pure function of (seed, epoch) (Fisher-Yates on
/// std::mt19937_64 seeded from a SplitMix64 mix of both, uniform draws by rejection), identical on
/// every platform. Throws core::UsageError when size < 0 or epoch < 0.
std::vector<std::int64_t> epoch_order(std::int64_t size, std::uint64_t seed, std::int64_t epoch);

/// How an epoch is cut into batches.
struct BatchPlan {
  std::int64_t batch_size = 128;  ///< examples per batch, >= 1
  bool drop_last = true;          ///< drop the final partial batch of each epoch
  bool shuffle = true;            ///< epoch_order each epoch; otherwise 0, 1, 2, ... every epoch
};

/// Batches per epoch for a dataset of `size` examples: size / batch_size with drop_last, else
/// rounded up. Throws core::UsageError when batch_size < 1 or when the result is zero (naming the
/// batch size and the dataset size).
std::int64_t batches_per_epoch(std::int64_t size, const BatchPlan& plan);

/// Position of a global optimizer step: epoch and batch within it.
struct StepPosition {
  std::int64_t epoch;  ///< 0-based epoch
  std::int64_t batch;  ///< 0-based batch within the epoch, < batches_per_epoch
};

/// The epoch and batch of global step `step` (>= 0, else core::UsageError).
StepPosition step_position(std::int64_t step, std::int64_t size, const BatchPlan& plan);

/// The example indices of global step `step` (epoch order regenerated from the seed): positions
/// [batch * batch_size, min((batch + 1) * batch_size, size)) of the epoch's order.
std::vector<std::int64_t> step_indices(std::int64_t step, std::int64_t size, const BatchPlan& plan,
                                       std::uint64_t seed);

/// step_indices with the last epoch's order kept: the same results, one shuffle per epoch
/// instead of one per step. Not thread-safe; one per training loop.
class EpochCache {
 public:
  /// Equal to data::step_indices(step, size, plan, seed) for every argument.
  std::vector<std::int64_t> step_indices(std::int64_t step, std::int64_t size,
                                         const BatchPlan& plan, std::uint64_t seed);

 private:
  bool valid_ = false;
  std::int64_t size_ = 0;
  std::uint64_t seed_ = 0;
  std::int64_t epoch_ = 0;
  bool shuffle_ = true;
  std::vector<std::int64_t> order_;
};

}  // namespace curvtrack::data
