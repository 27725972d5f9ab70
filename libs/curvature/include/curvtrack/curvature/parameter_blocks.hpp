#pragma once
// Which parameters a curvature analysis covers and how they split into blocks
// (docs/methods.md section 2.3). Names are the network's parameter names, as TorchScript
// spells them ("1.weight", "layer1.0.conv1.weight"). Free of torch.

#include <cstdint>
#include <string>
#include <vector>

#include "curvtrack/core/options.hpp"

namespace curvtrack::curvature {

/// How the selected parameters split into blocks.
enum class BlockMode {
  kNone,    ///< no blocks: the whole selection only
  kModule,  ///< one block per module: names sharing the prefix before their last '.'
  kTensor,  ///< one block per parameter tensor
};

/// "none", "module", "tensor".
const core::NamedValues<BlockMode>& block_mode_names();

/// A set of parameters analysed together (a principal submatrix of the curvature matrix).
struct ParameterBlock {
  std::string name;                  ///< module prefix or parameter name
  std::vector<std::size_t> indices;  ///< ascending indices into the network's parameters
  std::vector<std::string> parameters;  ///< their names
  std::int64_t size = 0;             ///< scalar parameters
};

/// "a.*,b.weight" -> {"a.*", "b.weight"}; "" or "all" -> {} (every parameter).
std::vector<std::string> parse_parameter_globs(const std::string& text);

/// Indices (ascending) of the parameters whose names match at least one shell glob (`*`, `?`,
/// `[...]`, as fnmatch without flags: `*` also matches '.'). No globs: every parameter. Throws
/// core::UsageError naming `what` and the glob for a glob that matches no name (listing a few names).
std::vector<std::size_t> select_parameters(const std::vector<std::string>& names, const std::vector<std::string>& globs,
                                           const std::string& what);

/// The blocks of the selected parameters, in network order (kNone: none).
std::vector<ParameterBlock> parameter_blocks(const std::vector<std::string>& names,
                                             const std::vector<std::int64_t>& sizes,
                                             const std::vector<std::size_t>& selected, BlockMode mode);

}  // namespace curvtrack::curvature
