#pragma once
// One interface over every network curvtrack trains or probes: native modules built from a
// spec and TorchScript modules loaded from a file.

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace curvtrack::models {

/// A classifier mapping images [N, C, H, W] to logits [N, classes].
class Network {
 public:
  virtual ~Network() = default;
  /// Logits for a batch of inputs.
  virtual at::Tensor forward(const at::Tensor& inputs) = 0;
  /// Trainable parameters, in a fixed order (the order of the flattened parameter vector).
  virtual std::vector<at::Tensor> parameters() = 0;
  /// Names of the trainable parameters, aligned with parameters().
  virtual std::vector<std::string> parameter_names() = 0;
  /// Training mode (dropout, BatchNorm batch statistics) on or off.
  virtual void set_training(bool training) = 0;
  /// Moves parameters and buffers to a device and floating-point type.
  virtual void to(c10::Device device, c10::ScalarType dtype) = 0;
  /// Saves the parameters and buffers (not the architecture) to a file.
  virtual void save(const std::filesystem::path& path) = 0;
  /// Loads parameters and buffers saved by save() from a network of the same spec.
  virtual void load(const std::filesystem::path& path) = 0;
  /// The spec or file it was made from, for the record.
  virtual std::string describe() const = 0;
};

/// Total number of scalar parameters.
std::int64_t parameter_count(Network& network);

/// The TorchScript file a model argument names ("torchscript:PATH" or a path ending in .pt,
/// .pth or .ts), or nothing for a native spec.
std::optional<std::filesystem::path> model_file(const std::string& spec);

/// Makes a network from a spec (see model_spec.hpp) or, for a path ending in `.pt`, loads a
/// TorchScript module. Native networks are initialised from `seed`. Throws core::UsageError for
/// a bad spec and core::DataError for a missing or unusable model file.
std::unique_ptr<Network> make_network(const std::string& spec, std::uint64_t seed);

/// Runs one small batch through the network and checks that it maps [n, 1, 28, 28]-shaped
/// `sample` inputs to logits [n, classes]; throws core::DataError naming the model otherwise.
void check_classifier_output(Network& network, const at::Tensor& sample, std::int64_t classes);

}  // namespace curvtrack::models
