#include "test_prelude.hpp"

#include "curvtrack/core/errors.hpp"
#include "curvtrack/data/normalisation.hpp"

using namespace curvtrack::data;

namespace {
// The oracle, written out independently: double arithmetic, one rounding to float32.
float reference(int pixel, double mean, double std) {
  double scaled = static_cast<double>(pixel) / 255.0;
  return static_cast<float>((scaled - mean) / std);
}
}  // namespace

TEST_CASE("normalised pixels 0 and 255 equal the float32 rounding of the double formula", "[unit]") {
  struct Stats { const char* name; double mean, std; };
  for (Stats stats : {Stats{"fashion-mnist", 0.2860, 0.3530}, Stats{"mnist", 0.1307, 0.3081},
                      Stats{"kmnist", 0.1918, 0.3483}, Stats{"idx", 0.2860, 0.3530}}) {
    INFO(stats.name);
    std::array<float, 256> table = normalisation_table(normalisation_for(stats.name));
    REQUIRE(table[0] == reference(0, stats.mean, stats.std));
    REQUIRE(table[255] == reference(255, stats.mean, stats.std));
    for (int p = 0; p < 256; ++p) REQUIRE(table[p] == reference(p, stats.mean, stats.std));
  }
  // Spot values from Python: struct.unpack('f', struct.pack('f', (p / 255.0 - 0.2860) / 0.3530)).
  std::array<float, 256> fashion = normalisation_table({0.2860, 0.3530});
  REQUIRE(fashion[0] == -0.810198307f);
  REQUIRE(fashion[255] == 2.02266288f);
}

TEST_CASE("normalisation_for rejects datasets it has no statistics for", "[unit]") {
  REQUIRE_THROWS_AS(normalisation_for("cifar10"), curvtrack::core::UsageError);
}
