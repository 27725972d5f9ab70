// Epoch orders and batches: integer work only, no tensor work.
#include "curvtrack/data/sampler.hpp"

#include <algorithm>
#include <numeric>
#include <random>
#include <string>

#include "curvtrack/core/errors.hpp"
#include "random_bits.hpp"

namespace curvtrack::data {
namespace {

std::vector<std::int64_t> identity_order(std::int64_t size) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(size));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  return order;
}

void check_size(std::int64_t size) {
  if (size < 0) throw core::UsageError("dataset size " + std::to_string(size) + " is negative");
}

std::vector<std::int64_t> order_for(std::int64_t size, const BatchPlan& plan, std::uint64_t seed,
                                    std::int64_t epoch) {
  return plan.shuffle ? epoch_order(size, seed, epoch) : identity_order(size);
}

std::vector<std::int64_t> slice(const std::vector<std::int64_t>& order, std::int64_t batch,
                                const BatchPlan& plan) {
  const auto size = static_cast<std::int64_t>(order.size());
  const std::int64_t begin = batch * plan.batch_size;
  const std::int64_t end = std::min(begin + plan.batch_size, size);
  return {order.begin() + begin, order.begin() + end};
}

}  // namespace

std::vector<std::int64_t> epoch_order(std::int64_t size, std::uint64_t seed, std::int64_t epoch) {
  check_size(size);
  if (epoch < 0) throw core::UsageError("epoch " + std::to_string(epoch) + " is negative");
  std::vector<std::int64_t> order = identity_order(size);
  std::mt19937_64 rng(detail::mix_key(seed, static_cast<std::uint64_t>(epoch)));
  // Fisher-Yates from the back: position i receives a uniform pick among 0..i.
  for (std::int64_t i = size - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(detail::uniform_below(rng, static_cast<std::uint64_t>(i) + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order;
}

std::int64_t batches_per_epoch(std::int64_t size, const BatchPlan& plan) {
  check_size(size);
  if (plan.batch_size < 1) {
    throw core::UsageError("batch size " + std::to_string(plan.batch_size) + " must be >= 1");
  }
  const std::int64_t batches =
      plan.drop_last ? size / plan.batch_size : (size + plan.batch_size - 1) / plan.batch_size;
  if (batches == 0) {
    throw core::UsageError("batch size " + std::to_string(plan.batch_size) +
                           " leaves no batch in a dataset of " + std::to_string(size) +
                           " examples" +
                           (size > 0 ? " with drop_last; use a batch size <= " +
                                           std::to_string(size) + " or drop_last = false"
                                     : std::string()));
  }
  return batches;
}

StepPosition step_position(std::int64_t step, std::int64_t size, const BatchPlan& plan) {
  if (step < 0) throw core::UsageError("step " + std::to_string(step) + " is negative");
  const std::int64_t batches = batches_per_epoch(size, plan);
  return {step / batches, step % batches};
}

std::vector<std::int64_t> step_indices(std::int64_t step, std::int64_t size, const BatchPlan& plan,
                                       std::uint64_t seed) {
  const StepPosition position = step_position(step, size, plan);
  return slice(order_for(size, plan, seed, position.epoch), position.batch, plan);
}

std::vector<std::int64_t> EpochCache::step_indices(std::int64_t step, std::int64_t size,
                                                   const BatchPlan& plan, std::uint64_t seed) {
  const StepPosition position = step_position(step, size, plan);
  if (!valid_ || size_ != size || seed_ != seed || epoch_ != position.epoch ||
      shuffle_ != plan.shuffle) {
    order_ = order_for(size, plan, seed, position.epoch);
    valid_ = true;
    size_ = size;
    seed_ = seed;
    epoch_ = position.epoch;
    shuffle_ = plan.shuffle;
  }
  return slice(order_, position.batch, plan);
}

}  // namespace curvtrack::data
