#include "test_prelude.hpp"

#include <ATen/Functions.h>
#include <ATen/TensorOperators.h>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/data/synthetic.hpp"

using namespace curvtrack::data;

TEST_CASE("the gaussian mixture has the requested shape and balanced labels", "[unit]") {
  Dataset data = make_gaussian_mixture(30, 3, 4, 11);
  REQUIRE(data.images.sizes() == at::IntArrayRef({30, 1, 4, 4}));
  REQUIRE(data.images.scalar_type() == at::kFloat);
  REQUIRE(data.labels.scalar_type() == at::kLong);
  REQUIRE(data.num_classes == 3);
  for (std::int64_t c = 0; c < 3; ++c) REQUIRE(data.labels.eq(c).sum().item<std::int64_t>() == 10);
}

TEST_CASE("the gaussian mixture is a pure function of its seed", "[unit]") {
  Dataset a = make_gaussian_mixture(20, 2, 3, 5);
  Dataset b = make_gaussian_mixture(20, 2, 3, 5);
  Dataset c = make_gaussian_mixture(20, 2, 3, 6);
  REQUIRE(a.images.equal(b.images));
  REQUIRE(a.labels.equal(b.labels));
  REQUIRE_FALSE(a.images.equal(c.images));
}

TEST_CASE("gaussian mixture classes are separated: each example is nearest its own class mean",
          "[unit]") {
  // Means are unit-variance patterns over 64 pixels, noise is unit variance: class means are
  // about sqrt(2 * 64) = 11 apart against noise of 1 per direction, so nearest-mean is exact.
  Dataset data = make_gaussian_mixture(400, 4, 8, 2);
  at::Tensor flat = data.images.reshape({400, 64}).to(at::kDouble);
  std::vector<at::Tensor> means;
  for (std::int64_t c = 0; c < 4; ++c) means.push_back(flat.index_select(0, data.labels.eq(c).nonzero().squeeze(1)).mean(0));
  at::Tensor centres = at::stack(means);                            // [4, 64]
  at::Tensor distances = at::cdist(flat, centres);                 // [400, 4]
  at::Tensor nearest = distances.argmin(1);
  REQUIRE(nearest.equal(data.labels));
  // Pixels within a class vary by the unit noise around the mean.
  double noise = (flat - centres.index_select(0, data.labels)).std().item<double>();
  REQUIRE_THAT(noise, Catch::Matchers::WithinAbs(1.0, 0.05));
}

TEST_CASE("gaussian mixture arguments below 1 are usage errors", "[unit]") {
  REQUIRE_THROWS_AS(make_gaussian_mixture(0, 2, 3, 1), curvtrack::core::UsageError);
  REQUIRE_THROWS_AS(make_gaussian_mixture(5, 0, 3, 1), curvtrack::core::UsageError);
  REQUIRE_THROWS_AS(make_gaussian_mixture(5, 2, 0, 1), curvtrack::core::UsageError);
}
