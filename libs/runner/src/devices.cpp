#include "curvtrack/runner/devices.hpp"

#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/ranks/rank_environment.hpp"

namespace curvtrack::runner {

c10::Device resolve_device(const std::string& device) {
  bool cuda = torch::cuda::is_available();
  if (device == "auto") return cuda ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (device != "cpu" && device.rfind("cuda", 0) != 0) {
    throw core::UsageError("--device '" + device + "' is not one of auto, cpu, cuda, cuda:N");
  }
  c10::Device parsed(c10::kCPU);
  try {
    parsed = c10::Device(device);
  } catch (const c10::Error&) {
    throw core::UsageError("--device '" + device + "' is not one of auto, cpu, cuda, cuda:N");
  }
  if (parsed.is_cuda()) {
    if (!cuda) throw core::UsageError("--device " + device + ": this build or machine has no CUDA device");
    if (parsed.has_index() && parsed.index() >= static_cast<int>(torch::cuda::device_count())) {
      throw core::UsageError("--device " + device + ": only " + std::to_string(torch::cuda::device_count()) +
                             " CUDA device(s) present");
    }
  }
  return parsed;
}

c10::ScalarType parse_dtype(const std::string& dtype) {
  if (dtype == "float64" || dtype == "double") return at::kDouble;
  if (dtype == "float32" || dtype == "float") return at::kFloat;
  throw core::UsageError("--dtype '" + dtype + "' is not one of float32, float64");
}

c10::ScalarType scalar_type(Precision precision) {
  return precision == Precision::kFloat64 ? c10::kDouble : c10::kFloat;
}

// Oversubscription beyond this many threads per core only slows a run down.
constexpr int kThreadsPerCore = 4;

int apply_threads(int threads) {
  if (threads < 0) throw core::UsageError("--threads must be >= 0 (0: all cores), got " + std::to_string(threads));
  int local_ranks = 1;
  try {
    local_ranks = ranks::rank_environment([](const char* name) { return std::getenv(name); }).local_ranks;
  } catch (const core::UsageError&) {
    // A malformed rank environment is reported when the ranks join.
  }
  int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  if (threads > kThreadsPerCore * cores) {  // each is a real thread: 100000 would exhaust the machine
    throw core::UsageError("--threads " + std::to_string(threads) + " is more than " + std::to_string(kThreadsPerCore) +
                           " x the " + std::to_string(cores) + " cores of this machine: give at most " +
                           std::to_string(kThreadsPerCore * cores) + " (0: all cores)");
  }
  int wanted = threads > 0 ? threads : std::max(1, cores / std::max(1, local_ranks));
  at::set_num_threads(wanted);
  return at::get_num_threads();
}

}  // namespace curvtrack::runner
