#include "curvtrack/runner/eigenvector_files.hpp"

#include <ATen/core/Tensor.h>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/npy.hpp"

namespace curvtrack::runner {
namespace {

// An n x k column-major matrix is the row-major [k, n] array numpy reads.
void write_vectors(const std::filesystem::path& path, const linalg::EigenResult& result) {
  core::write_npy(path, {static_cast<std::int64_t>(result.vectors.cols()), static_cast<std::int64_t>(result.vectors.rows())},
                  result.vectors.data());
}

nlohmann::json parameter_layout(models::Network& network, const std::vector<std::size_t>& selected) {
  auto parameters = network.parameters();
  auto names = network.parameter_names();
  std::vector<std::size_t> indices = selected;
  if (indices.empty()) {
    for (std::size_t i = 0; i < parameters.size(); ++i) indices.push_back(i);
  }
  nlohmann::json layout = nlohmann::json::array();
  std::int64_t offset = 0;
  for (std::size_t index : indices) {
    const at::Tensor& parameter = parameters.at(index);
    layout.push_back({{"name", names.at(index)}, {"shape", parameter.sizes().vec()}, {"offset", offset},
                      {"size", parameter.numel()}});
    offset += parameter.numel();
  }
  return layout;
}

std::vector<double> values_of(const linalg::EigenResult& result) {
  return std::vector<double>(result.values.data(), result.values.data() + result.values.size());
}

}  // namespace

void save_eigenvectors(const std::filesystem::path& folder, const curvature::SpectrumVectors& vectors,
                       models::Network& network, const std::vector<std::size_t>& selected,
                       const nlohmann::json& operator_settings) {
  std::error_code error;
  if (std::filesystem::exists(folder) && !std::filesystem::is_directory(folder)) {
    throw core::UsageError("--save-eigenvectors " + folder.string() + " is not a folder");
  }
  if (!std::filesystem::create_directories(folder, error) && error) {
    throw core::DataError("--save-eigenvectors: cannot create " + folder.string() + ": " + error.message());
  }
  nlohmann::json layout = {{"parameters", parameter_layout(network, selected)},
                           {"operator", operator_settings},
                           {"rows", "row i of top.npy / bottom.npy is the eigenvector of values[i]; its sign is arbitrary"}};
  if (vectors.top.vectors.cols() > 0) {
    write_vectors(folder / "top.npy", vectors.top);
    layout["top_values"] = values_of(vectors.top);
  }
  if (vectors.bottom.vectors.cols() > 0) {
    write_vectors(folder / "bottom.npy", vectors.bottom);
    layout["bottom_values"] = values_of(vectors.bottom);
  }
  core::write_file_atomically(folder / "layout.json", layout.dump(2) + "\n");
}

}  // namespace curvtrack::runner
