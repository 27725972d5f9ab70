#pragma once
// The dense kernel the Krylov solvers and Hutch++ spend host time in: removing from a vector its
// components along an orthonormal basis (private to the library).

#include <Eigen/Core>

namespace curvtrack::linalg::detail {

/// w -= q (q^T w): one classical Gram-Schmidt pass against the columns of q (n x m).
///
/// With the system BLAS (CURVTRACK_HAVE_BLAS; OpenBLAS on Debian) these are two dgemv calls,
/// whose kernels are picked for the CPU at run time and use the OpenMP threads; Eigen's own are
/// compiled for baseline x86-64 and single-threaded: against a 100-vector basis of 55,050
/// parameters a pass takes 3-4.5 ms at 2 threads instead of 14-16 ms, more than one
/// Hessian-vector product of a small MLP. Only this kernel goes to BLAS, so every other product
/// keeps Eigen's rounding. Sizes beyond the int range of the BLAS interface use Eigen.
void subtract_projection(const Eigen::Ref<const Eigen::MatrixXd>& q, Eigen::Ref<Eigen::VectorXd> w);

/// Two such passes: w then has no component along q's columns beyond rounding.
void subtract_projection_twice(const Eigen::Ref<const Eigen::MatrixXd>& q, Eigen::Ref<Eigen::VectorXd> w);

/// An orthonormal basis of the span of v's columns, in their order: Gram-Schmidt with two passes
/// a column (enough for orthogonality to rounding); a column left with at most `drop_below` of
/// its norm lies (numerically) in the span of the ones before and is dropped.
Eigen::MatrixXd orthonormal_columns(const Eigen::MatrixXd& v, double drop_below = 1e-8);

}  // namespace curvtrack::linalg::detail
