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
/// and backing it in 4 KiB pages cost about 22,000 page faults, 3 ms of each 4.5 ms step of host
/// work measured here (1.2-1.5 ms with huge pages). Where the system refuses the advice the
/// store works as before. Entries are uninitialised until written.
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
