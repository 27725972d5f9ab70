#include "curvtrack/runner/rank_support.hpp"

#include <cstdlib>
#include <stdexcept>

#include "curvtrack/core/errors.hpp"

namespace curvtrack::runner {

std::unique_ptr<ranks::ProcessGroup> join_ranks(int timeout_seconds) {
  if (timeout_seconds <= 0) {
    throw core::UsageError("--dist-timeout must be > 0 seconds, got " + std::to_string(timeout_seconds));
  }
  ranks::RankEnvironment environment = ranks::rank_environment([](const char* name) { return std::getenv(name); });
  return ranks::ProcessGroup::join(environment, std::chrono::seconds(timeout_seconds));
}

std::function<void(at::Tensor&)> sum_over(const ranks::ProcessGroup& group) {
  if (group.ranks() == 1) return {};
  return [&group](at::Tensor& tensor) { group.sum(tensor); };
}

void check_batch_split(const train::TrainerOptions& trainer, int ranks) {
  if (trainer.batches.batch_size < ranks) {
    throw core::UsageError("data.batch_size = " + std::to_string(trainer.batches.batch_size) +
                           " is the batch over all ranks and cannot be split over " + std::to_string(ranks) + " ranks");
  }
}

ScratchRunDirectory::ScratchRunDirectory(int rank) {
  std::string pattern = (std::filesystem::temp_directory_path() / ("curvtrack-rank" + std::to_string(rank) + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("rank " + std::to_string(rank) + ": cannot create a scratch folder " + pattern);
  }
  root_ = pattern;
}

ScratchRunDirectory::~ScratchRunDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

}  // namespace curvtrack::runner
