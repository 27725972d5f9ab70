#include "curvtrack/curvature/block_measures.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>

namespace curvtrack::curvature {

std::vector<ParameterBlock> network_blocks(models::Network& network, const std::vector<std::size_t>& selected,
                                           BlockMode mode) {
  std::vector<std::int64_t> sizes;
  for (const auto& parameter : network.parameters()) sizes.push_back(parameter.numel());
  std::vector<std::size_t> indices = selected;
  if (indices.empty()) {
    for (std::size_t i = 0; i < sizes.size(); ++i) indices.push_back(i);
  }
  return parameter_blocks(network.parameter_names(), sizes, indices, mode);
}

std::int64_t selected_size(models::Network& network, const std::vector<std::size_t>& selected) {
  std::int64_t size = 0;
  auto parameters = network.parameters();
  if (selected.empty()) {
    for (const auto& parameter : parameters) size += parameter.numel();
  }
  for (std::size_t index : selected) size += parameters.at(index).numel();
  return size;
}

std::map<std::string, runs::BlockRecord> measure_blocks(models::Network& network, const at::Tensor& inputs,
                                                        const at::Tensor& targets, const OperatorOptions& whole,
                                                        const std::vector<ParameterBlock>& blocks,
                                                        const SpectrumRequest& request) {
  SpectrumRequest per_block = solver_settings(request);
  per_block.top_k = request.top_k;
  per_block.trace = request.trace;
  per_block.trace_samples = request.trace_samples;
  std::vector<at::Tensor> parameters = network.parameters();
  std::map<std::string, runs::BlockRecord> out;
  for (const ParameterBlock& block : blocks) {
    runs::BlockRecord record;
    record.parameters = block.parameters;
    record.size = block.size;
    double squared = 0;
    {
      c10::NoGradGuard no_grad;
      for (std::size_t index : block.indices) squared += parameters[index].to(at::kDouble).pow(2).sum().item<double>();
    }
    record.weight_norm = std::sqrt(squared);
    SpectrumRequest request_here = per_block;
    // A block of n parameters gets at most n - 1 eigenpairs (the solvers need k < n).
    request_here.top_k = static_cast<int>(std::min<std::int64_t>(per_block.top_k, block.size - 1));
    if (request_here.trace != linalg::TraceMethod::kNone && block.size < 2) request_here.trace = linalg::TraceMethod::kNone;
    OperatorOptions options = whole;
    options.parameters = block.indices;
    CurvatureOperator op(network, inputs, targets, options);
    SpectrumMeasures measures = measure_spectrum(op, request_here);
    record.top = std::move(measures.top);
    record.trace = std::move(measures.trace);
    out[block.name] = std::move(record);
  }
  return out;
}

nlohmann::json operator_settings(const OperatorOptions& options, const std::vector<std::string>& parameter_globs,
                                 BlockMode blocks, std::int64_t parameters) {
  return {{"matrix", operator_kind_names().name(options.kind)},
          {"loss", models::loss_names().name(options.loss)},
          {"positive_semidefinite", positive_semidefinite(options.kind)},
          {"parameter_globs", parameter_globs.empty() ? nlohmann::json("all") : nlohmann::json(parameter_globs)},
          {"parameters", parameters},
          {"blocks", block_mode_names().name(blocks)},
          {"weight_decay", "not included"}};
}

}  // namespace curvtrack::curvature
