#include "projection.hpp"

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

}  // namespace curvtrack::linalg::detail
