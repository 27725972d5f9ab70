#pragma once
// The one dense kernel the Krylov solvers spend host time in: removing from a vector its
// components along an orthonormal basis (private to the library).

#include <Eigen/Core>

namespace curvtrack::linalg::detail {

/// w -= q (q^T w): one classical Gram-Schmidt pass against the columns of q (n x m).
///
/// With the system BLAS (CURVTRACK_HAVE_BLAS; OpenBLAS on Debian) these are two dgemv calls,
/// whose kernels are picked for the CPU at run time and use the OpenMP threads; Eigen's own are
/// compiled for baseline x86-64 and single-threaded: against a 100-vector basis of 55,050
/// parameters a pass takes about 4 ms instead of 15, as long as a Hessian-vector product of a
/// small MLP. Only this kernel goes to BLAS, so every other product keeps Eigen's rounding.
void subtract_projection(const Eigen::Ref<const Eigen::MatrixXd>& q, Eigen::Ref<Eigen::VectorXd> w);

}  // namespace curvtrack::linalg::detail
