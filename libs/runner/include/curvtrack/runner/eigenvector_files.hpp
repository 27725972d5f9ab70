#pragma once
// `spectrum --save-eigenvectors DIR`: the eigenvectors as .npy files with the parameter layout
// that maps their entries back to the network's tensors (docs/methods.md section 3.8).

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "curvtrack/curvature/spectrum.hpp"
#include "curvtrack/models/network.hpp"

namespace curvtrack::runner {

/// Writes DIR/top.npy and DIR/bottom.npy (float64 [k, n], row i the i-th eigenvector; a file only
/// for a solve that ran) and DIR/layout.json: the name, shape, offset and size of each selected
/// parameter (`selected`: indices into the network's parameters, empty: all) in the flattened
/// vector, the eigenvalues, and `operator` (the operator's settings). Creates DIR if missing;
/// throws core::UsageError when DIR is not a folder, core::DataError when a file cannot be written.
void save_eigenvectors(const std::filesystem::path& folder, const curvature::SpectrumVectors& vectors,
                       models::Network& network, const std::vector<std::size_t>& selected,
                       const nlohmann::json& operator_settings);

}  // namespace curvtrack::runner
