#pragma once
// Per-block curvature (docs/methods.md section 2.3): for each parameter block, the top
// eigenpairs and the trace of the principal submatrix of the curvature matrix over its
// parameters (the other parameters held fixed), with the block's weight norm.

#include <ATen/core/Tensor.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "curvtrack/curvature/curvature_operator.hpp"
#include "curvtrack/curvature/parameter_blocks.hpp"
#include "curvtrack/curvature/spectrum.hpp"
#include "curvtrack/models/network.hpp"
#include "curvtrack/runs/curvature_record.hpp"

namespace curvtrack::curvature {

/// Each block's weight norm, its trace from `traces` (the whole operator's trace products, see
/// SpectrumMeasures::block_traces; one per block or none) and, when request.block_top_k > 0,
/// its top eigenpairs (at most the block size - 1), each a solve of the operator `whole`
/// restricted to the block.
std::map<std::string, runs::BlockRecord> measure_blocks(models::Network& network, const at::Tensor& inputs,
                                                        const at::Tensor& targets, const OperatorOptions& whole,
                                                        const std::vector<ParameterBlock>& blocks,
                                                        const SpectrumRequest& request,
                                                        const std::vector<runs::TraceRecord>& traces);

/// The coordinates of the operator over `selected` (indices; empty: all) labelled by block,
/// for block traces from the whole trace's products.
linalg::CoordinateBlocks coordinate_blocks(models::Network& network, const std::vector<std::size_t>& selected,
                                           const std::vector<ParameterBlock>& blocks);

/// The blocks of `network` for a selection of parameters (indices; empty: all) and a mode.
std::vector<ParameterBlock> network_blocks(models::Network& network, const std::vector<std::size_t>& selected,
                                           BlockMode mode);

/// Scalar parameters at `selected` (indices; empty: all of them).
std::int64_t selected_size(models::Network& network, const std::vector<std::size_t>& selected);

/// The operator's settings for records: matrix, loss, definiteness, parameters and blocks.
nlohmann::json operator_settings(const OperatorOptions& options, const std::vector<std::string>& parameter_globs,
                                 BlockMode blocks, std::int64_t parameters);

}  // namespace curvtrack::curvature
