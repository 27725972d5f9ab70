#pragma once
// Text specs for native networks, e.g. "mlp:784-64-64-10:tanh", "cnn:8-16:relu:classes=10" or
// "resnet:20:w16:bn:classes=10".

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
/// linear classifier on the flattened features of an `in_channels` x `side` x `side` input.
struct CnnSpec {
  std::vector<std::int64_t> channels;  ///< output channels per stage, e.g. {8, 16}
  Activation activation = Activation::kRelu;
  bool batch_norm = false;
  std::int64_t classes = 10;
  std::int64_t side = 28;               ///< input height and width
  std::int64_t in_channels = 1;         ///< input channels (1 for MNIST, 3 for CIFAR)
};

/// A CIFAR-style ResNet (He et al. 2016, section 4.2): a 3x3 conv stem with `width` channels,
/// three stages of n = (depth - 2) / 6 basic blocks (two 3x3 convs each) with `width`, 2 `width`
/// and 4 `width` channels, stride-2 downsampling in the first block of stages 2 and 3, global
/// average pooling and a linear classifier. Shortcuts are the paper's option A for CIFAR:
/// identity, subsampled with stride 2 and zero-padded in channels where the shape changes, so
/// they have no parameters. With `batch_norm` every conv is followed by BatchNorm and has no
/// bias; without it there is no BatchNorm at all and every conv has a bias. Initialisation is
/// LibTorch's default (as PyTorch's nn.Conv2d / nn.Linear), not the paper's He-normal: under
/// He-normal the BN-free variant's activations would roughly double per block.
struct ResNetSpec {
  std::int64_t depth = 20;              ///< 6n + 2, n >= 1: 8, 20, 32, 44, 56, 110 in the paper
  std::int64_t width = 16;              ///< channels of the first stage
  bool batch_norm = true;
  std::int64_t classes = 10;
  std::int64_t side = 32;               ///< input height and width (any side >= 1 works)
  std::int64_t in_channels = 3;
};

/// Parses "mlp:W0-W1-...-Wn[:ACT]"; throws core::UsageError naming the spec and the accepted form.
MlpSpec parse_mlp_spec(const std::string& spec);
/// Parses "cnn:C1-C2-...[:ACT][:bn][:classes=N][:in=C][:side=S]"; throws core::UsageError likewise.
CnnSpec parse_cnn_spec(const std::string& spec);
/// Parses "resnet:DEPTH[:wWIDTH][:bn|nobn][:classes=N][:in=C][:side=S]", DEPTH = 6n + 2 (8, 20, 32,
/// 44, 56, ...); throws core::UsageError naming the spec and the accepted form.
ResNetSpec parse_resnet_spec(const std::string& spec);
/// Scalars a network of the spec stores (parameters and BatchNorm statistics), counted in
/// floating point so that no spec can overflow: what make_network checks against the memory
/// before it allocates anything.
double stored_scalars(const MlpSpec& spec);
double stored_scalars(const CnnSpec& spec);
double stored_scalars(const ResNetSpec& spec);
/// Parses an activation name (tanh, relu, gelu, sigmoid).
Activation parse_activation(const std::string& name);
/// The name parse_activation accepts for `activation`.
std::string activation_name(Activation activation);

}  // namespace curvtrack::models
