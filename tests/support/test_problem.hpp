#pragma once
// A small network and seeded random data shared by the curvature tests.

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <memory>
#include <string>

#include "curvtrack/models/network.hpp"

namespace curvtrack::testing {

/// A network with inputs and labels.
struct Problem {
  std::unique_ptr<models::Network> network;
  at::Tensor inputs;
  at::Tensor labels;
};

/// A float64 network in eval mode on seeded random data with `side` x `side` single-channel images.
inline Problem make_problem(const std::string& spec, std::int64_t examples, std::int64_t side,
                            std::int64_t classes) {
  Problem problem{models::make_network(spec, 7), {}, {}};
  problem.network->to(at::kCPU, at::kDouble);
  problem.network->set_training(false);
  torch::manual_seed(11);
  problem.inputs = at::randn({examples, 1, side, side}, at::kDouble);
  problem.labels = at::randint(classes, {examples}, at::kLong);
  return problem;
}

}  // namespace curvtrack::testing
