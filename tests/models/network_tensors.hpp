#pragma once
// Named parameters and buffers and tensor differences, shared by the models tests.

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "curvtrack/models/network.hpp"

namespace curvtrack::models::testing {

/// The tensor called `name` among `tensors` (aligned with `names`).
inline at::Tensor named(const std::vector<std::string>& names, const std::vector<at::Tensor>& tensors,
                        const std::string& name) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return tensors.at(i);
  }
  throw std::logic_error("no tensor named " + name);
}

/// The parameter called `name`.
inline at::Tensor parameter(Network& network, const std::string& name) {
  return named(network.parameter_names(), network.parameters(), name);
}

/// The buffer called `name`.
inline at::Tensor buffer(Network& network, const std::string& name) {
  return named(network.buffer_names(), network.buffers(), name);
}

/// Largest absolute difference between two tensors of the same shape.
inline double max_abs_difference(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

}  // namespace curvtrack::models::testing
