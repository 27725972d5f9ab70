#pragma once
// Probe sets: the fixed examples on which curvature is measured, chosen by a spec.

#include <cstdint>
#include <string>
#include <vector>

#include "curvtrack/data/dataset.hpp"

namespace curvtrack::data {

/// A parsed probe spec: SPLIT:first:N, SPLIT:random:N:SEED or SPLIT:all (SPLIT train | test,
/// optional, default train).
struct ProbeSpec {
  /// How examples are picked from the split.
  enum class Kind { kFirst, kRandom, kAll };
  Split split;          ///< split the examples come from
  Kind kind;            ///< first N, N at random, or the whole split
  std::int64_t count;   ///< N (>= 1); 0 for kAll
  std::uint64_t seed;   ///< seed of kRandom; 0 otherwise
  std::string text;     ///< the spec as given, for messages and run records
};

/// Parses a probe spec; throws core::UsageError naming the text and the accepted forms.
ProbeSpec parse_probe_spec(const std::string& text);

/// The example indices of `spec` in a split of `dataset_size` examples. kRandom is a seeded
/// sample without replacement (mt19937_64, partial Fisher-Yates) in sampled order, identical on
/// every platform. Throws core::UsageError when N exceeds the split size, naming both numbers.
std::vector<std::int64_t> probe_indices(const ProbeSpec& spec, std::int64_t dataset_size);

/// The examples at `indices`, in that order; throws core::UsageError on an index out of range.
Dataset subset(const Dataset& data, const std::vector<std::int64_t>& indices);

}  // namespace curvtrack::data
