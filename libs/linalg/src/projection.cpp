#include "projection.hpp"

#include <limits>
#include <stdexcept>

#ifdef CURVTRACK_HAVE_BLAS
extern "C" void dgemv_(const char* trans, const int* m, const int* n, const double* alpha, const double* a,
                       const int* lda, const double* x, const int* incx, const double* beta, double* y,
                       const int* incy);
#endif

namespace curvtrack::linalg::detail {

void subtract_projection(const Eigen::Ref<const Eigen::MatrixXd>& q, Eigen::Ref<Eigen::VectorXd> w) {
  if (q.cols() == 0) return;
  if (w.size() != q.rows()) throw std::invalid_argument("subtract_projection: vector and basis lengths differ");
#ifdef CURVTRACK_HAVE_BLAS
  constexpr Eigen::Index kMaxInt = std::numeric_limits<int>::max();
  if (q.rows() > kMaxInt || q.cols() > kMaxInt || q.outerStride() > kMaxInt) {
    w.noalias() -= q * (q.transpose() * w);
    return;
  }
  const int rows = static_cast<int>(q.rows());
  const int cols = static_cast<int>(q.cols());
  const int lda = static_cast<int>(q.outerStride());
  const int one = 1;
  const double plus = 1.0, minus = -1.0, zero = 0.0;
  Eigen::VectorXd c(cols);
  dgemv_("T", &rows, &cols, &plus, q.data(), &lda, w.data(), &one, &zero, c.data(), &one);
  dgemv_("N", &rows, &cols, &minus, q.data(), &lda, c.data(), &one, &plus, w.data(), &one);
#else
  w.noalias() -= q * (q.transpose() * w);
#endif
}

void subtract_projection_twice(const Eigen::Ref<const Eigen::MatrixXd>& q, Eigen::Ref<Eigen::VectorXd> w) {
  for (int pass = 0; pass < 2; ++pass) subtract_projection(q, w);
}

Eigen::MatrixXd orthonormal_columns(const Eigen::MatrixXd& v, double drop_below) {
  Eigen::MatrixXd q(v.rows(), v.cols());
  Eigen::Index kept = 0;
  for (Eigen::Index j = 0; j < v.cols(); ++j) {
    Eigen::VectorXd x = v.col(j);
    const double before = x.norm();
    subtract_projection_twice(q.leftCols(kept), x);
    const double norm = x.norm();
    if (!(norm > drop_below * before)) continue;
    q.col(kept++) = x / norm;
  }
  q.conservativeResize(Eigen::NoChange, kept);
  return q;
}

}  // namespace curvtrack::linalg::detail
