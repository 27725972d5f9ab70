#pragma once
// Where and in which precision a command computes: devices, dtypes and thread counts.

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <string>

#include "curvtrack/runner/run_options.hpp"

namespace curvtrack::runner {

/// Resolves "auto", "cpu", "cuda" or "cuda:N"; throws core::UsageError when CUDA is unavailable.
c10::Device resolve_device(const std::string& device);

/// Parses "float32" or "float64" (also "float", "double"); throws core::UsageError otherwise.
c10::ScalarType parse_dtype(const std::string& dtype);

/// The tensor type of a configured precision.
c10::ScalarType scalar_type(Precision precision);

/// Sets the intra-op thread count (0: this node's cores shared by its ranks) and returns the
/// number in force; core::UsageError for a negative count or more than 4 threads per core.
int apply_threads(int threads);

}  // namespace curvtrack::runner
