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

linalg::CoordinateBlocks coordinate_blocks(models::Network& network, const std::vector<std::size_t>& selected,
                                           const std::vector<ParameterBlock>& blocks) {
  std::vector<at::Tensor> parameters = network.parameters();
  std::vector<std::size_t> order = selected;
  if (order.empty()) {
    for (std::size_t i = 0; i < parameters.size(); ++i) order.push_back(i);
  }
  std::vector<int> block_of_parameter(parameters.size(), -1);
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    for (std::size_t index : blocks[b].indices) block_of_parameter.at(index) = static_cast<int>(b);
  }
  linalg::CoordinateBlocks out;
  out.count = static_cast<int>(blocks.size());
  for (std::size_t index : order) {
    out.block.insert(out.block.end(), static_cast<std::size_t>(parameters[index].numel()), block_of_parameter[index]);
  }
  return out;
}

std::map<std::string, runs::BlockRecord> measure_blocks(models::Network& network, const at::Tensor& inputs,
                                                        const at::Tensor& targets, const OperatorOptions& whole,
                                                        const std::vector<ParameterBlock>& blocks,
                                                        const SpectrumRequest& request,
                                                        const std::vector<runs::TraceRecord>& traces) {
  SpectrumRequest per_block = solver_settings(request);
  std::vector<at::Tensor> parameters = network.parameters();
  std::map<std::string, runs::BlockRecord> out;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const ParameterBlock& block = blocks[b];
    runs::BlockRecord record;
    record.parameters = block.parameters;
    record.size = block.size;
    double squared = 0;
    {
      c10::NoGradGuard no_grad;
      for (std::size_t index : block.indices) squared += parameters[index].to(at::kDouble).pow(2).sum().item<double>();
    }
    record.weight_norm = std::sqrt(squared);
    if (b < traces.size()) record.trace = traces[b];
    // A block of n parameters gets at most n - 1 eigenpairs (the solvers need k < n).
    per_block.top_k = static_cast<int>(std::min<std::int64_t>(request.block_top_k, block.size - 1));
    if (per_block.top_k > 0) {
      OperatorOptions options = whole;
      options.parameters = block.indices;
      CurvatureOperator op(network, inputs, targets, options);
      record.top = measure_spectrum(op, per_block).top;
    }
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
