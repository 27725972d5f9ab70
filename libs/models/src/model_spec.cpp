#include "curvtrack/models/model_spec.hpp"

#include <cmath>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"

namespace curvtrack::models {
namespace {

constexpr const char* kMlpForm = "mlp:W0-W1-...-Wn[:tanh|relu|gelu|sigmoid], e.g. mlp:784-64-64-10:tanh";
constexpr const char* kCnnForm =
    "cnn:C1-C2-...[:relu|tanh|gelu|sigmoid][:bn][:classes=N][:in=C][:side=S], e.g. "
    "cnn:16-32:relu:bn:in=3:side=32";
constexpr const char* kResNetForm =
    "resnet:DEPTH[:wWIDTH][:bn|nobn][:classes=N][:in=C][:side=S] with DEPTH = 6n+2 "
    "(8, 20, 32, 44, 56, ...), e.g. resnet:20:w16:bn:classes=10";

std::vector<std::int64_t> parse_widths(const std::string& text, const std::string& spec,
                                       const char* form) {
  std::vector<std::int64_t> widths;
  for (const auto& field : core::split(text, '-')) {
    std::int64_t width = core::parse_int(field, "model spec '" + spec + "' (" + form + ")");
    if (width <= 0) {
      throw core::UsageError("model spec '" + spec + "': width " + field + " must be positive");
    }
    widths.push_back(width);
  }
  return widths;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

// The value of a positive "key=N" (or "wN") field.
std::int64_t positive_field(const std::string& field, std::size_t prefix_length,
                            const std::string& spec, const char* form) {
  std::int64_t value =
      core::parse_int(field.substr(prefix_length), "model spec '" + spec + "' (" + form + ")");
  if (value <= 0) {
    throw core::UsageError("model spec '" + spec + "': " + field + " must be positive (" + form + ")");
  }
  return value;
}

}  // namespace

Activation parse_activation(const std::string& name) {
  if (name == "tanh") return Activation::kTanh;
  if (name == "relu") return Activation::kRelu;
  if (name == "gelu") return Activation::kGelu;
  if (name == "sigmoid") return Activation::kSigmoid;
  throw core::UsageError("unknown activation '" + name + "'; accepted: tanh, relu, gelu, sigmoid");
}

std::string activation_name(Activation activation) {
  switch (activation) {
    case Activation::kTanh: return "tanh";
    case Activation::kRelu: return "relu";
    case Activation::kGelu: return "gelu";
    case Activation::kSigmoid: return "sigmoid";
  }
  return "?";
}

MlpSpec parse_mlp_spec(const std::string& spec) {
  auto fields = core::split(spec, ':');
  if (fields.size() < 2 || fields.size() > 3 || fields[0] != "mlp") {
    throw core::UsageError("model spec '" + spec + "' is not of the form " + kMlpForm);
  }
  MlpSpec mlp;
  mlp.widths = parse_widths(fields[1], spec, kMlpForm);
  if (mlp.widths.size() < 2) {
    throw core::UsageError("model spec '" + spec + "' needs at least an input and an output width");
  }
  if (fields.size() == 3) mlp.activation = parse_activation(fields[2]);
  return mlp;
}

CnnSpec parse_cnn_spec(const std::string& spec) {
  auto fields = core::split(spec, ':');
  if (fields.size() < 2 || fields[0] != "cnn") {
    throw core::UsageError("model spec '" + spec + "' is not of the form " + kCnnForm);
  }
  CnnSpec cnn;
  cnn.channels = parse_widths(fields[1], spec, kCnnForm);
  for (std::size_t i = 2; i < fields.size(); ++i) {
    const std::string& field = fields[i];
    if (field == "bn") {
      cnn.batch_norm = true;
    } else if (starts_with(field, "classes=")) {
      cnn.classes = positive_field(field, 8, spec, kCnnForm);
    } else if (starts_with(field, "side=")) {
      cnn.side = positive_field(field, 5, spec, kCnnForm);
    } else if (starts_with(field, "in=")) {
      cnn.in_channels = positive_field(field, 3, spec, kCnnForm);
    } else {
      cnn.activation = parse_activation(field);
    }
  }
  std::int64_t side = cnn.side;
  for (std::size_t i = 0; i < cnn.channels.size(); ++i) side /= 2;
  if (cnn.classes < 2 || side < 1) {
    throw core::UsageError("model spec '" + spec + "': need classes >= 2 and an input side that " +
                           "survives one 2x2 pooling per stage");
  }
  return cnn;
}

ResNetSpec parse_resnet_spec(const std::string& spec) {
  auto fields = core::split(spec, ':');
  if (fields.size() < 2 || fields[0] != "resnet") {
    throw core::UsageError("model spec '" + spec + "' is not of the form " + kResNetForm);
  }
  ResNetSpec resnet;
  resnet.depth = core::parse_int(fields[1], "model spec '" + spec + "' depth (" + kResNetForm + ")");
  if (resnet.depth < 8 || (resnet.depth - 2) % 6 != 0) {
    throw core::UsageError("model spec '" + spec + "': depth " + fields[1] +
                           " is not 6n+2 with n >= 1 (" + kResNetForm + ")");
  }
  for (std::size_t i = 2; i < fields.size(); ++i) {
    const std::string& field = fields[i];
    if (field == "bn") {
      resnet.batch_norm = true;
    } else if (field == "nobn") {
      resnet.batch_norm = false;
    } else if (starts_with(field, "w")) {
      resnet.width = positive_field(field, 1, spec, kResNetForm);
    } else if (starts_with(field, "classes=")) {
      resnet.classes = positive_field(field, 8, spec, kResNetForm);
    } else if (starts_with(field, "side=")) {
      resnet.side = positive_field(field, 5, spec, kResNetForm);
    } else if (starts_with(field, "in=")) {
      resnet.in_channels = positive_field(field, 3, spec, kResNetForm);
    } else {
      throw core::UsageError("model spec '" + spec + "': unknown field '" + field + "' (" +
                             kResNetForm + ")");
    }
  }
  if (resnet.classes < 2) {
    throw core::UsageError("model spec '" + spec + "': need classes >= 2");
  }
  return resnet;
}

double stored_scalars(const MlpSpec& spec) {
  double scalars = 0;
  for (std::size_t i = 0; i + 1 < spec.widths.size(); ++i) {
    scalars += static_cast<double>(spec.widths[i]) * static_cast<double>(spec.widths[i + 1]) +
               static_cast<double>(spec.widths[i + 1]);
  }
  return scalars;
}

namespace {

// A 3x3 conv (weights and an optional bias) and, with BatchNorm, its weight, bias, running mean
// and variance and batch count.
double conv_scalars(double in, double out, bool bias, bool batch_norm) {
  return 9 * in * out + (bias ? out : 0) + (batch_norm ? 4 * out + 1 : 0);
}

}  // namespace

double stored_scalars(const CnnSpec& spec) {
  double scalars = 0, channels = static_cast<double>(spec.in_channels), side = static_cast<double>(spec.side);
  for (std::int64_t out : spec.channels) {
    scalars += conv_scalars(channels, static_cast<double>(out), true, spec.batch_norm);
    channels = static_cast<double>(out);
    side = std::floor(side / 2);
  }
  const double classes = static_cast<double>(spec.classes);
  return scalars + channels * side * side * classes + classes;
}

double stored_scalars(const ResNetSpec& spec) {
  const double blocks = static_cast<double>((spec.depth - 2) / 6), width = static_cast<double>(spec.width);
  const bool bias = !spec.batch_norm;
  double scalars = conv_scalars(static_cast<double>(spec.in_channels), width, bias, spec.batch_norm);
  double channels = width;
  for (double out : {width, 2 * width, 4 * width}) {
    // The first block of a stage maps channels -> out, the others out -> out; two convs each.
    scalars += conv_scalars(channels, out, bias, spec.batch_norm) + conv_scalars(out, out, bias, spec.batch_norm);
    scalars += (blocks - 1) * 2 * conv_scalars(out, out, bias, spec.batch_norm);
    channels = out;
  }
  const double classes = static_cast<double>(spec.classes);
  return scalars + channels * classes + classes;
}

}  // namespace curvtrack::models
