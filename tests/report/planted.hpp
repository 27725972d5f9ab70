#pragma once
// Paired samples with a planted ratio of geometric means, shared by the statistics tests.

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace curvtrack::report::testing {

/// b ~ lognormal curvatures, a = ratio * b * exp(noise): arm a is `ratio` times arm b.
inline void planted(double ratio, double noise_sd, int n, std::uint64_t seed, std::vector<double>* a,
                    std::vector<double>* b) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> base(std::log(50.0), 0.5);
  std::normal_distribution<double> noise(0.0, noise_sd);
  a->clear();
  b->clear();
  for (int k = 0; k < n; ++k) {
    b->push_back(std::exp(base(engine)));
    a->push_back(ratio * b->back() * std::exp(noise(engine)));
  }
}

}  // namespace curvtrack::report::testing
