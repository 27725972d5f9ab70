#include "test_prelude.hpp"

#include <stdexcept>

#include "curvtrack/linalg/dense_operator.hpp"
#include "curvtrack/linalg/random_vectors.hpp"

using namespace curvtrack::linalg;

TEST_CASE("DenseOperator multiplies by its matrix and counts every product", "[unit]") {
  Eigen::MatrixXd a(2, 2);
  a << 2, 1, 1, 3;
  DenseOperator op(a);
  Eigen::Vector2d x(1, -1), y;
  op.perform_op(x.data(), y.data());
  op.perform_op(x.data(), y.data());
  CHECK(y == Eigen::Vector2d(1, -2));
  CHECK(op.products() == 2);
  op.reset_products();
  CHECK(op.products() == 0);
}

TEST_CASE("DenseOperator rejects non-square and non-symmetric matrices", "[unit]") {
  REQUIRE_THROWS_AS(DenseOperator(Eigen::MatrixXd::Zero(2, 3)), std::invalid_argument);
  Eigen::MatrixXd a(2, 2);
  a << 1, 2, 0, 1;
  REQUIRE_THROWS_AS(DenseOperator(a), std::invalid_argument);
}

TEST_CASE("random vectors are reproducible from the seed and Rademacher entries are +-1", "[unit]") {
  std::mt19937_64 a(42), b(42);
  const Eigen::VectorXd r = rademacher(1000, a);
  CHECK(r == rademacher(1000, b));
  CHECK((r.array().abs() == 1.0).all());
  CHECK(std::abs(r.sum()) < 150);  // 4.7 sd: a stuck bit would fail
  const Eigen::VectorXd g = gaussian(1000, a);
  CHECK(g == gaussian(1000, b));
  CHECK(std::abs(g.mean()) < 0.15);
}
