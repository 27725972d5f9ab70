#include "curvtrack/models/model_spec.hpp"

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"

namespace curvtrack::models {
namespace {

constexpr const char* kMlpForm = "mlp:W0-W1-...-Wn[:tanh|relu|gelu|sigmoid], e.g. mlp:784-64-64-10:tanh";
constexpr const char* kCnnForm =
    "cnn:C1-C2-...[:relu|tanh|gelu|sigmoid][:bn][:classes=N][:side=N], e.g. cnn:8-16:relu";

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
    } else if (field.rfind("classes=", 0) == 0) {
      cnn.classes = core::parse_int(field.substr(8), "model spec '" + spec + "' classes");
    } else if (field.rfind("side=", 0) == 0) {
      cnn.side = core::parse_int(field.substr(5), "model spec '" + spec + "' side");
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

}  // namespace curvtrack::models
