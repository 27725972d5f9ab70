#pragma once
// Storage for a growing set of long columns (a Krylov basis and its products), reserved once.

#include <Eigen/Core>
#include <cstddef>

namespace curvtrack::linalg::detail {

/// A rows x columns matrix of doubles whose memory is reserved at construction but backed only
/// where it is written: a Lanczos run that stops after a few steps holds a few columns, not
/// `columns`, and one that goes on never copies what it has (no reallocation as it grows).
///
/// Large stores (2 MiB and more) are mapped directly and, on Linux, advised to use transparent
/// huge pages: a run of 100 steps over 55,050 parameters writes 88 MB of basis and products,
/// and backing it in 4 KiB pages cost about 22,000 page faults; the host work per step (all but
/// the product) measured here went from 4.8-5.1 ms (growing Eigen matrices) to 0.9-1.2 ms. Where
/// the system refuses the advice the store still works, with small pages. Entries are
/// uninitialised until written. Under strict overcommit (vm.overcommit_memory = 2) the kernel
/// ignores MAP_NORESERVE and counts the whole reservation against its commit limit: a solve then
/// needs its capacity's memory up front (with the automatic basis limit at most 1 GiB of basis
/// and products), and std::bad_alloc where that is not available.
class ColumnStore {
 public:
  ColumnStore() = default;
  ColumnStore(Eigen::Index rows, Eigen::Index columns);
  ~ColumnStore();
  ColumnStore(ColumnStore&& other) noexcept;
  ColumnStore& operator=(ColumnStore&& other) noexcept;
  ColumnStore(const ColumnStore&) = delete;
  ColumnStore& operator=(const ColumnStore&) = delete;

  Eigen::Index rows() const { return rows_; }
  Eigen::Index cols() const { return cols_; }
  /// The whole store as a column-major matrix.
  Eigen::Map<Eigen::MatrixXd> matrix() { return Eigen::Map<Eigen::MatrixXd>(data_, rows_, cols_); }
  Eigen::Map<const Eigen::MatrixXd> matrix() const { return Eigen::Map<const Eigen::MatrixXd>(data_, rows_, cols_); }

 private:
  void release() noexcept;

  double* data_ = nullptr;
  Eigen::Index rows_ = 0;
  Eigen::Index cols_ = 0;
  void* mapping_ = nullptr;  // the whole mapping when mapped (data_ is aligned inside it)
  std::size_t mapped_bytes_ = 0;
};

}  // namespace curvtrack::linalg::detail
