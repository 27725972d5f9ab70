#pragma once
// The ranks of one job step joined into a LibTorch process group (c10d): rendezvous through a
// TCPStore served by rank 0 (or a FileStore on a shared filesystem), collectives over Gloo.
// A single rank needs neither and every collective is then a no-op.

#include <ATen/core/Tensor.h>

#include <chrono>
#include <memory>
#include <string>

#include "curvtrack/ranks/rank_environment.hpp"

namespace curvtrack::ranks {

class ProcessGroup {
 public:
  /// Joins the ranks of `environment`. Waits at most `timeout` for every rank to arrive and
  /// throws std::runtime_error naming the ranks that did not (or, on a rank other than 0, the
  /// rendezvous address that did not answer). The same timeout bounds every collective.
  static std::unique_ptr<ProcessGroup> join(const RankEnvironment& environment, std::chrono::seconds timeout);
  ~ProcessGroup();

  int rank() const { return environment_.rank; }
  int ranks() const { return environment_.ranks; }
  /// Rank 0 writes results; the other ranks compute the same numbers and write nothing.
  bool writes_results() const { return environment_.rank == 0; }
  const RankEnvironment& environment() const { return environment_; }
  /// "gloo", or "none" for a single rank.
  std::string backend() const;

  /// Replaces `tensor` by its sum over the ranks (CPU or CUDA; CUDA tensors travel through
  /// the host). Every rank must call it with a tensor of the same shape and dtype.
  void sum(at::Tensor& tensor) const;
  /// Returns once every rank has called it.
  void barrier() const;

 private:
  struct Connection;
  ProcessGroup(RankEnvironment environment, std::unique_ptr<Connection> connection);
  RankEnvironment environment_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace curvtrack::ranks
