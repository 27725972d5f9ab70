#pragma once
// One interface over every network curvtrack trains or probes: native modules built from a
// spec and TorchScript modules loaded from a file.

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <exception>
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
  /// Names of the trainable parameters, aligned with parameters() (e.g. "layer1.0.conv1.weight").
  virtual std::vector<std::string> parameter_names() = 0;
  /// Non-trainable state saved with the weights (BatchNorm running_mean, running_var and
  /// num_batches_tracked), in a fixed order, aligned with buffer_names(). The tensors alias the
  /// network's own, so copying into them restores a checkpointed state exactly.
  virtual std::vector<at::Tensor> buffers() = 0;
  /// Names of the buffers, aligned with buffers() (e.g. "bn1.running_mean").
  virtual std::vector<std::string> buffer_names() = 0;
  /// Whether the network has BatchNorm layers tracking running statistics.
  virtual bool has_batch_norm() = 0;
  /// Zeroes every running mean, sets every running variance to one and every batch count to zero,
  /// and switches every BatchNorm layer to a cumulative average (momentum nullopt: batch k gets
  /// weight 1/k). No-op without BatchNorm. Throws core::UsageError where unsupported (TorchScript).
  virtual void reset_batch_norm_statistics() = 0;
  /// The momentum of every BatchNorm layer, in module order (nullopt: cumulative average).
  /// Throws core::UsageError where unsupported (TorchScript models with BatchNorm).
  virtual std::vector<std::optional<double>> batch_norm_momenta() = 0;
  /// Sets the momenta, one per BatchNorm layer in the order of batch_norm_momenta(); throws
  /// std::invalid_argument for a count mismatch, core::UsageError where unsupported.
  virtual void set_batch_norm_momenta(const std::vector<std::optional<double>>& momenta) = 0;
  /// Training mode (dropout, BatchNorm batch statistics) on or off.
  virtual void set_training(bool training) = 0;
  /// Moves parameters and buffers to a device; floating-point ones also to `dtype` (for native
  /// networks integer buffers such as num_batches_tracked keep their type).
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

/// Re-estimates every BatchNorm layer's running statistics on `inputs` [N, C, H, W] (the probe
/// set): resets them, runs the inputs in order in batches of `batch_size` (the last may be
/// smaller) through the network in training mode without gradients, each batch weighted by its
/// size (running mean = mean over `inputs` of each layer's input; running variance = the
/// size-weighted average of the per-batch unbiased variances, which equals the unbiased variance
/// over `inputs` only for a single batch), restores the original momenta and leaves the network
/// in eval mode. Without BatchNorm it only sets eval mode. Throws std::invalid_argument for
/// batch_size < 1 or no inputs, core::UsageError for TorchScript models with BatchNorm.
void reestimate_batch_norm(Network& network, const at::Tensor& inputs, std::int64_t batch_size);

/// Makes a network from a spec (see model_spec.hpp) or, for a path ending in `.pt`, loads a
/// TorchScript module. Native networks are initialised from `seed`. Throws core::UsageError for
/// a bad spec and core::DataError for a missing or unusable model file.
std::unique_ptr<Network> make_network(const std::string& spec, std::uint64_t seed);

/// The derivatives a command takes of the loss with respect to the parameters.
enum class Derivatives {
  kFirst,   ///< gradients (training, the LR range test)
  kSecond,  ///< gradients and Hessian-vector products (curvature)
};

/// Checks that the parameters and buffers are finite, then runs one small batch through the
/// network and checks that it maps `sample` inputs [n, C, H, W] to finite logits [n, classes]
/// that depend on the parameters through an autograd graph (with kSecond: whose gradient
/// does too, so that Hessian-vector products exist); throws core::DataError naming the model
/// (and the parameter) otherwise. Messages hold no LibTorch backtrace.
void check_classifier_output(Network& network, const at::Tensor& sample, std::int64_t classes,
                             Derivatives derivatives = Derivatives::kSecond);

/// The message of a LibTorch error without its backtrace, on one line (for any exception:
/// c10::Error::what() appends "Exception raised from ... frame #0: ..." lines).
std::string error_message(const std::exception& error);

}  // namespace curvtrack::models
