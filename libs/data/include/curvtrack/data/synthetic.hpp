#pragma once
// Synthetic datasets for tests of the other libraries: small, learnable, reproducible.

#include <cstdint>

#include "curvtrack/data/dataset.hpp"

namespace curvtrack::data {

/// `n` images float32 [n, 1, side, side]; example i has label i % classes and pixels equal to its
/// class mean (one standard-normal pattern per class) plus standard-normal noise. Drawn with
/// std::mt19937_64 and a fixed Box-Muller transform, so a seed gives the same set on any build.
/// Throws core::UsageError unless n >= 1, classes >= 1 and side >= 1.
Dataset make_gaussian_mixture(std::int64_t n, std::int64_t classes, std::int64_t side,
                              std::uint64_t seed);

}  // namespace curvtrack::data
