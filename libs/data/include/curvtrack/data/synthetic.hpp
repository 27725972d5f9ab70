#pragma once
// Synthetic datasets for tests of the other libraries: small, learnable, reproducible.
// Every draw uses std::mt19937_64 and a fixed Box-Muller transform (never the implementation-
// defined std::normal_distribution), so a seed gives the same set on any build and platform.

#include <cstdint>

#include "curvtrack/data/dataset.hpp"

namespace curvtrack::data {

/// Hidden width of the teacher network of make_teacher_student.
constexpr std::int64_t kTeacherHidden = 64;

/// `n` images float32 [n, 1, side, side]; example i has label i % classes and pixels equal to its
/// class mean (one standard-normal pattern per class) plus standard-normal noise. Means and noise
/// come from one stream seeded with `seed`. Throws core::UsageError unless n >= 1, classes >= 1,
/// side >= 1 and n * side^2 stays below 2^31.
Dataset make_gaussian_mixture(std::int64_t n, std::int64_t classes, std::int64_t side,
                              std::uint64_t seed);

/// A held-out sample of the same mixture: the class means of `seed`, the noise from a separate
/// stream seeded with `sample_seed` (so sample_seed == seed does not reproduce the 4-argument set).
Dataset make_gaussian_mixture(std::int64_t n, std::int64_t classes, std::int64_t side,
                              std::uint64_t seed, std::uint64_t sample_seed);

/// `n` standard-normal images float32 [n, 1, side, side] labelled by a fixed random teacher:
/// label = argmax_c (W2 tanh(W1 x))_c with x the float32 image flattened (d = side^2 values),
/// W1 [kTeacherHidden, d] entries N(0, 1/d), W2 [classes, kTeacherHidden] standard-normal rows
/// scaled to unit norm (so classes are roughly balanced); ties go to the lowest class. The teacher
/// (W1 then W2) and then the inputs are drawn from one stream seeded with `seed`.
/// Throws core::UsageError unless n >= 1, classes >= 1, side >= 1 and n * side^2 stays below 2^31.
Dataset make_teacher_student(std::int64_t n, std::int64_t classes, std::int64_t side,
                             std::uint64_t seed);

/// A held-out sample for the same teacher: the teacher of `seed`, the inputs from a separate
/// stream seeded with `sample_seed`.
Dataset make_teacher_student(std::int64_t n, std::int64_t classes, std::int64_t side,
                             std::uint64_t seed, std::uint64_t sample_seed);

}  // namespace curvtrack::data
