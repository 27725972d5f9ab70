#pragma once
// Splitting n items over ranks: the probe set of a distributed HVP, the batch of a
// data-parallel step. Torch-free.

#include <cstdint>

namespace curvtrack::core {

/// The half-open range [begin, end) of items one rank holds.
struct Share {
  std::int64_t begin;
  std::int64_t end;
};

/// Rank `rank` of `ranks`' share of `items`: contiguous blocks in rank order whose sizes differ
/// by at most one.
inline Share share_of(std::int64_t items, int rank, int ranks) {
  return {items * rank / ranks, items * (rank + 1) / ranks};
}

}  // namespace curvtrack::core
