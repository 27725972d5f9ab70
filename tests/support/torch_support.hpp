#pragma once
// Helpers on torch tensors shared by the torch test targets (library
// curvtrack_test_torch_support, built only with CURVTRACK_WITH_TORCH).

#include <ATen/core/Tensor.h>

#include <vector>

namespace curvtrack::testing {

/// Same length and, tensor by tensor, both undefined or both defined with the same dtype, shape
/// and bytes (NaN-safe, and -0.0 differs from 0.0: the raw bytes are compared).
bool bit_identical(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b);

}  // namespace curvtrack::testing
