#include "test_prelude.hpp"

#include <utility>

#include "curvtrack/linalg/column_store.hpp"
#include "curvtrack/linalg/dense_operator.hpp"
#include "curvtrack/linalg/lanczos.hpp"
#include "curvtrack/linalg/operator_ref.hpp"
#include "curvtrack/linalg/random_vectors.hpp"

using curvtrack::linalg::detail::ColumnStore;
using curvtrack::linalg::detail::LanczosProcess;
using curvtrack::linalg::detail::OperatorRef;
using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// Fills every entry with a value that names its place, then checks them all.
void fill(ColumnStore& store) {
  auto m = store.matrix();
  for (Index j = 0; j < m.cols(); ++j) {
    for (Index i = 0; i < m.rows(); ++i) m(i, j) = static_cast<double>(i) + 1e6 * static_cast<double>(j);
  }
}

bool holds_fill(const ColumnStore& store) {
  const auto m = store.matrix();
  for (Index j = 0; j < m.cols(); ++j) {
    for (Index i = 0; i < m.rows(); ++i) {
      if (m(i, j) != static_cast<double>(i) + 1e6 * static_cast<double>(j)) return false;
    }
  }
  return true;
}

// y = d .* x: a diagonal operator of any size, with a known spectrum.
struct Diagonal {
  using Scalar = double;
  VectorXd d;
  Index rows() const { return d.size(); }
  Index cols() const { return d.size(); }
  void perform_op(const double* x, double* y) const {
    Eigen::Map<VectorXd>(y, d.size()) = d.cwiseProduct(Eigen::Map<const VectorXd>(x, d.size()));
  }
};

}  // namespace

TEST_CASE("ColumnStore keeps what is written, small (heap) and large (mapped), and moves it", "[unit]") {
  for (Index rows : {Index{7}, Index{70000}}) {  // 7 x 5 doubles, and 2.8 MB: past the 2 MiB mapping size
    INFO("rows " << rows);
    ColumnStore store(rows, 5);
    REQUIRE(store.rows() == rows);
    REQUIRE(store.cols() == 5);
    fill(store);
    CHECK(holds_fill(store));
    ColumnStore moved(std::move(store));
    CHECK(store.cols() == 0);
    CHECK(holds_fill(moved));
    ColumnStore assigned(3, 3);
    assigned = std::move(moved);
    CHECK(assigned.rows() == rows);
    CHECK(holds_fill(assigned));
  }
  CHECK(ColumnStore(0, 4).matrix().size() == 0);
  CHECK_THROWS_AS(ColumnStore(-1, 2), std::invalid_argument);
}

TEST_CASE("a Lanczos run whose storage is mapped keeps an orthonormal basis and its exact products", "[unit]") {
  // 40,000 x 13 doubles of basis and 40,000 x 12 of products: both stores are mapped.
  const Index n = 40000;
  Diagonal a{VectorXd::LinSpaced(n, -3.0, 7.0)};
  OperatorRef op(a);
  std::mt19937_64 rng(5);
  LanczosProcess process(op, curvtrack::linalg::gaussian(n, rng), 12, /*keep_products=*/true);
  while (process.can_step()) process.step();
  REQUIRE(process.steps() == 12);
  const MatrixXd q = process.basis();
  CHECK((q.transpose() * q - MatrixXd::Identity(12, 12)).cwiseAbs().maxCoeff() < 1e-12);
  MatrixXd aq(n, 12);
  for (Index j = 0; j < 12; ++j) aq.col(j) = a.d.cwiseProduct(q.col(j));
  CHECK((process.products() - aq).cwiseAbs().maxCoeff() == 0.0);
  // T = Q^T A Q: its diagonal is alpha.
  CHECK((q.transpose() * aq).diagonal().isApprox(process.alpha(), 1e-12));
}
