#pragma once
// Private: integer randomness that gives the same numbers with every standard library and build.
// std::uniform_int_distribution and std::normal_distribution are implementation-defined, so
// nothing here uses them.

#include <cstdint>
#include <limits>

namespace curvtrack::data::detail {

/// SplitMix64's finaliser: a bijective 64-bit mix (Steele, Lea and Flood 2014).
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// One 64-bit key from several: each step is a bijection of the running key, so keys that
/// differ in one component differ after every step.
inline std::uint64_t mix_key(std::uint64_t a, std::uint64_t b) { return splitmix64(splitmix64(a) ^ b); }

/// The SplitMix64 generator: cheap to seed, so one per example costs nothing.
class SplitMix64 {
 public:
  using result_type = std::uint64_t;
  explicit SplitMix64(std::uint64_t state) : state_(state) {}
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
  result_type operator()() {
    state_ += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

/// A uniform draw in [0, bound) (bound >= 1) by rejection on raw 64-bit output.
template <class Generator>
std::uint64_t uniform_below(Generator& rng, std::uint64_t bound) {
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                              std::numeric_limits<std::uint64_t>::max() % bound;
  std::uint64_t draw = rng();
  while (draw >= limit) draw = rng();
  return draw % bound;
}

}  // namespace curvtrack::data::detail
