#include "test_prelude.hpp"

// Properties of the ratio of geometric means and its paired percentile bootstrap interval.

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "curvtrack/report/statistics.hpp"
#include "planted.hpp"

using namespace curvtrack::report;
using Catch::Matchers::WithinRel;

namespace {

using testing::planted;

}  // namespace

TEST_CASE("ratio of geometric means is the ratio of the geometric means", "[unit]") {
  const std::vector<double> a{1.0, 4.0, 16.0};
  const std::vector<double> b{2.0, 2.0, 2.0};
  // gm(a) = 4, gm(b) = 2.
  CHECK_THAT(ratio_of_geometric_means(a, b), WithinRel(2.0, 1e-14));
  CHECK_THAT(ratio_of_geometric_means(b, a), WithinRel(0.5, 1e-14));
}

TEST_CASE("bootstrap interval contains the point estimate", "[unit]") {
  std::vector<double> a, b;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    planted(0.8, 0.3, 10, seed, &a, &b);
    const double r = ratio_of_geometric_means(a, b);
    const Interval ci = bootstrap_ratio_of_geometric_means_ci(a, b, 0.95, 4000, seed);
    INFO("seed " << seed << " ratio " << r << " CI " << ci.low << " - " << ci.high);
    CHECK(ci.low < r);
    CHECK(r < ci.high);
  }
}

TEST_CASE("identical arms give ratio 1 and the degenerate interval [1, 1]", "[unit]") {
  std::vector<double> a, b;
  planted(1.0, 0.0, 8, 7, &a, &b);
  const Interval ci = bootstrap_ratio_of_geometric_means_ci(b, b, 0.95, 1000, 11);
  CHECK(ratio_of_geometric_means(b, b) == 1.0);
  CHECK(ci.low == 1.0);
  CHECK(ci.high == 1.0);
}

TEST_CASE("a planted ratio of 0.5 is inside the interval and 1 is outside", "[unit]") {
  std::vector<double> a, b;
  planted(0.5, 0.05, 10, 42, &a, &b);
  const Interval ci = bootstrap_ratio_of_geometric_means_ci(a, b, 0.95, 10000, 42);
  INFO("CI " << ci.low << " - " << ci.high);
  CHECK(ci.low < 0.5);
  CHECK(0.5 < ci.high);
  CHECK(ci.high < 1.0);
  CHECK(ci.high / ci.low < 1.2);  // small noise, narrow interval
}

TEST_CASE("bootstrap interval is a function of the seed", "[unit]") {
  std::vector<double> a, b;
  planted(0.7, 0.4, 12, 5, &a, &b);
  const Interval first = bootstrap_ratio_of_geometric_means_ci(a, b, 0.9, 2000, 123);
  const Interval again = bootstrap_ratio_of_geometric_means_ci(a, b, 0.9, 2000, 123);
  const Interval other = bootstrap_ratio_of_geometric_means_ci(a, b, 0.9, 2000, 124);
  CHECK(first.low == again.low);
  CHECK(first.high == again.high);
  CHECK((other.low != first.low || other.high != first.high));
  // A wider level gives a wider interval from the same resamples.
  const Interval wide = bootstrap_ratio_of_geometric_means_ci(a, b, 0.99, 2000, 123);
  CHECK(wide.low <= first.low);
  CHECK(wide.high >= first.high);
}

TEST_CASE("bootstrap and ratio reject bad arguments", "[unit]") {
  const std::vector<double> good{1.0, 2.0};
  CHECK_THROWS_AS(ratio_of_geometric_means(good, {1.0}), std::invalid_argument);
  CHECK_THROWS_AS(ratio_of_geometric_means({}, {}), std::invalid_argument);
  CHECK_THROWS_AS(ratio_of_geometric_means(good, {1.0, 0.0}), std::invalid_argument);
  CHECK_THROWS_AS(ratio_of_geometric_means({-1.0, 2.0}, good), std::invalid_argument);
  CHECK_THROWS_AS(ratio_of_geometric_means({NAN, 2.0}, good), std::invalid_argument);
  CHECK_THROWS_AS(bootstrap_ratio_of_geometric_means_ci(good, good, 1.0, 100, 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(bootstrap_ratio_of_geometric_means_ci(good, good, 0.95, 0, 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(bootstrap_ratio_of_geometric_means_ci(good, {1.0, -2.0}, 0.95, 10, 1),
                  std::invalid_argument);
}
