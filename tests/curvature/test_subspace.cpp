// Gradient fraction and subspace overlap (subspace.hpp) against hand-computed values.
#include "test_prelude.hpp"

#include <cmath>

#include "curvtrack/curvature/subspace.hpp"

using namespace curvtrack;
using Catch::Matchers::WithinAbs;

namespace {

Eigen::VectorXd unit(Eigen::Index n, Eigen::Index i) { return Eigen::VectorXd::Unit(n, i); }

Eigen::MatrixXd columns(const std::vector<Eigen::VectorXd>& vectors) {
  Eigen::MatrixXd out(vectors.front().size(), static_cast<Eigen::Index>(vectors.size()));
  for (std::size_t j = 0; j < vectors.size(); ++j) out.col(static_cast<Eigen::Index>(j)) = vectors[j];
  return out;
}

}  // namespace

TEST_CASE("Gradient fraction is ||U^T g||^2 / ||g||^2", "[unit]") {
  const Eigen::MatrixXd u = columns({unit(4, 0), unit(4, 1)});
  const Eigen::VectorXd g = (Eigen::VectorXd(4) << 1, 2, 3, 4).finished();
  REQUIRE_THAT(curvature::gradient_fraction(u, g), WithinAbs(5.0 / 30.0, 1e-15));
  // A rotated basis of the same plane gives the same fraction.
  const Eigen::MatrixXd rotated = columns({(unit(4, 0) + unit(4, 1)) / std::sqrt(2.0), (unit(4, 0) - unit(4, 1)) / std::sqrt(2.0)});
  REQUIRE_THAT(curvature::gradient_fraction(rotated, g), WithinAbs(5.0 / 30.0, 1e-15));
  // One direction at 45 degrees between e3 and e4: (3 + 4)^2 / 2 / 30.
  REQUIRE_THAT(curvature::gradient_fraction(columns({(unit(4, 2) + unit(4, 3)) / std::sqrt(2.0)}), g),
               WithinAbs(49.0 / 60.0, 1e-15));
  REQUIRE_THAT(curvature::gradient_fraction(columns({unit(4, 0), unit(4, 1), unit(4, 2), unit(4, 3)}), g),
               WithinAbs(1.0, 1e-15));
  REQUIRE(std::isnan(curvature::gradient_fraction(u, Eigen::VectorXd::Zero(4))));
}

TEST_CASE("Subspace overlap is ||U^T P||_F^2 / k over the common number of columns", "[unit]") {
  const Eigen::MatrixXd u = columns({unit(4, 0), unit(4, 1)});
  const Eigen::VectorXd diagonal = (unit(4, 1) + unit(4, 2)) / std::sqrt(2.0);
  REQUIRE_THAT(curvature::subspace_overlap(u, {unit(4, 0), diagonal}), WithinAbs(0.75, 1e-15));
  REQUIRE_THAT(curvature::subspace_overlap(u, {unit(4, 1), unit(4, 0)}), WithinAbs(1.0, 1e-15));
  REQUIRE_THAT(curvature::subspace_overlap(u, {unit(4, 2), unit(4, 3)}), WithinAbs(0.0, 1e-15));
  // k = min(2, 1) = 1: only the first column of each, e1 against diagonal: 0.
  REQUIRE_THAT(curvature::subspace_overlap(u, {diagonal}), WithinAbs(0.0, 1e-15));
  // k = min(1, 2) = 1: e2 against the first previous vector, the diagonal: 1/2.
  REQUIRE_THAT(curvature::subspace_overlap(columns({unit(4, 1)}), {diagonal, unit(4, 0)}), WithinAbs(0.5, 1e-15));
  REQUIRE(std::isnan(curvature::subspace_overlap(u, {})));
}

TEST_CASE("The subspace record holds k, the fraction, and the overlap only for comparable vectors", "[unit]") {
  const Eigen::MatrixXd u = columns({unit(3, 0), unit(3, 1)});
  const Eigen::VectorXd g = (Eigen::VectorXd(3) << 1, 1, 2).finished();
  runs::SubspaceRecord record = curvature::subspace_record(u, g, {unit(3, 1), unit(3, 2)});
  REQUIRE(record.k == 2);
  REQUIRE_THAT(record.gradient_fraction, WithinAbs(2.0 / 6.0, 1e-15));
  REQUIRE(record.previous_overlap.has_value());
  REQUIRE_THAT(*record.previous_overlap, WithinAbs(0.5, 1e-15));
  REQUIRE_FALSE(curvature::subspace_record(u, g, {}).previous_overlap.has_value());
  REQUIRE_FALSE(curvature::subspace_record(u, g, {unit(4, 0)}).previous_overlap.has_value());
}
