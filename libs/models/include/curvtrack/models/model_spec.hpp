#pragma once
// Text specs for native networks, e.g. "mlp:784-64-64-10:tanh" or "cnn:8-16:relu:classes=10".

#include <cstdint>
#include <string>
#include <vector>

namespace curvtrack::models {

/// Activation functions a native network can use.
enum class Activation { kTanh, kRelu, kGelu, kSigmoid };

/// A multilayer perceptron: widths from input features to classes, one activation between layers.
struct MlpSpec {
  std::vector<std::int64_t> widths;  ///< e.g. {784, 64, 64, 10}
  Activation activation = Activation::kTanh;
};

/// A small CNN: stages of conv3x3 (padding 1) [+ BatchNorm] + activation + 2x2 max-pool, then a
/// linear classifier on the flattened features of a 1 x `side` x `side` input.
struct CnnSpec {
  std::vector<std::int64_t> channels;  ///< output channels per stage, e.g. {8, 16}
  Activation activation = Activation::kRelu;
  bool batch_norm = false;
  std::int64_t classes = 10;
  std::int64_t side = 28;               ///< input height and width
  std::int64_t in_channels = 1;
};

/// Parses "mlp:W0-W1-...-Wn[:ACT]"; throws core::UsageError naming the spec and the accepted form.
MlpSpec parse_mlp_spec(const std::string& spec);
/// Parses "cnn:C1-C2-...[:ACT][:bn][:classes=N][:side=N]"; throws core::UsageError likewise.
CnnSpec parse_cnn_spec(const std::string& spec);
/// Parses an activation name (tanh, relu, gelu, sigmoid).
Activation parse_activation(const std::string& name);
/// The name parse_activation accepts for `activation`.
std::string activation_name(Activation activation);

}  // namespace curvtrack::models
