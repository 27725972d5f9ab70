#pragma once
// Resampling helpers shared by the statistics (bootstrap, permutation tests): a portable uniform
// integer draw and numpy's default linear quantile. Internal to libs/report.

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace curvtrack::report::resampling {

/// Uniform integer in [0, n): rejection on the raw 64-bit engine output, so the stream is the same
/// with every standard library (std::uniform_int_distribution is implementation-defined).
inline std::uint64_t uniform_below(std::mt19937_64& engine, std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  std::uint64_t x = engine();
  while (x < threshold) x = engine();
  return x % n;
}

/// numpy's default (linear) quantile of sorted, non-empty values.
inline double sorted_quantile(const std::vector<double>& sorted, double q) {
  const double h = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

/// splitmix64: derives independent stream seeds from one seed.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// Fisher-Yates shuffle driven by uniform_below (portable, unlike std::shuffle).
template <typename T>
void shuffle(std::vector<T>& values, std::mt19937_64& engine) {
  for (std::size_t i = values.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(uniform_below(engine, i));
    std::swap(values[i - 1], values[j]);
  }
}

}  // namespace curvtrack::report::resampling
