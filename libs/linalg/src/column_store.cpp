#include "curvtrack/linalg/column_store.hpp"

#include <cstdint>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace curvtrack::linalg::detail {
namespace {

// The transparent huge page size on x86-64 and most arm64 kernels; a mapping aligned to it lets
// the kernel back whole 2 MiB blocks at the first write of each.
constexpr std::size_t kHugePage = std::size_t{2} << 20;

}  // namespace

ColumnStore::ColumnStore(Eigen::Index rows, Eigen::Index columns) : rows_(rows), cols_(columns) {
  if (rows < 0 || columns < 0) {
    throw std::invalid_argument("ColumnStore: negative size " + std::to_string(rows) + " x " + std::to_string(columns));
  }
  const auto count = static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(columns);
  if (rows > 0 && columns > 0 &&
      (count / static_cast<std::uint64_t>(rows) != static_cast<std::uint64_t>(columns) ||
       count > (std::numeric_limits<std::size_t>::max() - kHugePage) / sizeof(double))) {
    throw std::bad_alloc();
  }
  const std::size_t bytes = static_cast<std::size_t>(count) * sizeof(double);
  if (bytes == 0) return;
#if defined(__linux__)
  if (bytes >= kHugePage) {
    // MAP_NORESERVE: only written pages count against memory, as with a growing allocation.
    void* mapping = ::mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) throw std::bad_alloc();
    mapping_ = mapping;
    mapped_bytes_ = bytes + kHugePage;
    const auto address = reinterpret_cast<std::uintptr_t>(mapping);
    const std::uintptr_t aligned = (address + kHugePage - 1) & ~static_cast<std::uintptr_t>(kHugePage - 1);
    data_ = reinterpret_cast<double*>(aligned);
#ifdef MADV_HUGEPAGE
    ::madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);  // advice: refusal is harmless
#endif
    return;
  }
#endif
  data_ = static_cast<double*>(::operator new(bytes, std::align_val_t{64}));
}

ColumnStore::~ColumnStore() { release(); }

ColumnStore::ColumnStore(ColumnStore&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      rows_(std::exchange(other.rows_, 0)),
      cols_(std::exchange(other.cols_, 0)),
      mapping_(std::exchange(other.mapping_, nullptr)),
      mapped_bytes_(std::exchange(other.mapped_bytes_, 0)) {}

ColumnStore& ColumnStore::operator=(ColumnStore&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    rows_ = std::exchange(other.rows_, 0);
    cols_ = std::exchange(other.cols_, 0);
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapped_bytes_ = std::exchange(other.mapped_bytes_, 0);
  }
  return *this;
}

void ColumnStore::release() noexcept {
#if defined(__linux__)
  if (mapping_ != nullptr) {
    ::munmap(mapping_, mapped_bytes_);
    mapping_ = nullptr;
    data_ = nullptr;
    return;
  }
#endif
  if (data_ != nullptr) ::operator delete(data_, std::align_val_t{64});
  data_ = nullptr;
}

}  // namespace curvtrack::linalg::detail
