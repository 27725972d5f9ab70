#include "curvtrack/curvature/parameter_blocks.hpp"

#include <fnmatch.h>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"

namespace curvtrack::curvature {
namespace {

// "layer1.0.conv1.weight" -> "layer1.0.conv1"; a name without '.' is its own module.
std::string module_of(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

std::string some_names(const std::vector<std::string>& names) {
  std::string out;
  const std::size_t shown = std::min<std::size_t>(names.size(), 6);
  for (std::size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > shown) out += ", ... (" + std::to_string(names.size()) + " in all; spectrum --list-params)";
  return out;
}

}  // namespace

const core::NamedValues<BlockMode>& block_mode_names() {
  static const core::NamedValues<BlockMode> names = {
      {BlockMode::kNone, "none"}, {BlockMode::kModule, "module"}, {BlockMode::kTensor, "tensor"}};
  return names;
}

std::vector<std::string> parse_parameter_globs(const std::string& text) {
  if (text.empty() || text == "all") return {};
  std::vector<std::string> globs;
  for (const std::string& glob : core::split(text, ',')) {
    if (glob.empty()) throw core::UsageError("parameter list '" + text + "' has an empty entry");
    globs.push_back(glob);
  }
  return globs;
}

std::vector<std::size_t> select_parameters(const std::vector<std::string>& names, const std::vector<std::string>& globs,
                                           const std::string& what) {
  std::vector<bool> chosen(names.size(), globs.empty());
  for (const std::string& glob : globs) {
    bool matched = false;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (fnmatch(glob.c_str(), names[i].c_str(), 0) == 0) chosen[i] = matched = true;
    }
    if (!matched) {
      throw core::UsageError(what + " '" + glob + "' matches no parameter of the model (its parameters: " +
                             some_names(names) + ")");
    }
  }
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (chosen[i]) indices.push_back(i);
  }
  return indices;
}

std::vector<ParameterBlock> parameter_blocks(const std::vector<std::string>& names,
                                             const std::vector<std::int64_t>& sizes,
                                             const std::vector<std::size_t>& selected, BlockMode mode) {
  std::vector<ParameterBlock> blocks;
  if (mode == BlockMode::kNone) return blocks;
  for (std::size_t index : selected) {
    const std::string name = mode == BlockMode::kModule ? module_of(names.at(index)) : names.at(index);
    ParameterBlock* block = nullptr;
    for (auto& existing : blocks) {
      if (existing.name == name) block = &existing;
    }
    if (block == nullptr) {
      blocks.push_back({name, {}, {}, 0});
      block = &blocks.back();
    }
    block->indices.push_back(index);
    block->parameters.push_back(names.at(index));
    block->size += sizes.at(index);
  }
  return blocks;
}

}  // namespace curvtrack::curvature
