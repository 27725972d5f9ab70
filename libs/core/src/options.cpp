#include "curvtrack/core/options.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "curvtrack/core/text.hpp"

namespace curvtrack::core {
namespace {

std::string section_of(const std::string& name) { return name.substr(0, name.find('.')); }

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool parse_bool(const std::string& text, const std::string& key) {
  const std::string value = lower(text);
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no") return false;
  throw UsageError(key + ": '" + text + "' is not a boolean (true, false, 1, 0, yes, no)");
}

// A required value: Config gives the default for an empty one, so empty means no default.
const std::string& required(const std::string& text, const std::string& key, const std::string& help) {
  if (text.empty()) throw UsageError(key + " is not set (" + help + ")");
  return text;
}

// Records a field under its bare key.
template <typename T>
std::function<void(nlohmann::json&)> recorder(const T& field, const std::string& name, Recorded recorded) {
  if (recorded == Recorded::kNo) return {};
  return [&field, key = OptionBindings::bare_key(name)](nlohmann::json& out) { out[key] = field; };
}

// Markdown table cells cannot hold '|'.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

std::string exact_text(double value) {
  if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
  auto exact = [value](const char* text) { return std::strtod(text, nullptr) == value; };
  char buffer[400];
  // Scientific form with the fewest digits, its exponent unpadded: "1e-8", "2.5e-12", "1e20".
  std::string scientific;
  for (int decimals = 0; decimals <= 16; ++decimals) {
    std::snprintf(buffer, sizeof buffer, "%.*e", decimals, value);
    if (exact(buffer)) break;
  }
  scientific = buffer;
  auto e = scientific.find('e');
  std::string exponent = scientific.substr(e + 1);
  std::string sign = exponent[0] == '-' ? "-" : "";
  exponent.erase(0, exponent.find_first_not_of("+-0"));
  scientific = scientific.substr(0, e) + (exponent.empty() ? "" : "e" + sign + exponent);
  // Fixed form with the fewest decimals: "0.05", "30".
  std::string fixed;
  for (int decimals = 0; decimals <= 340 && fixed.empty(); ++decimals) {
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    if (exact(buffer)) fixed = buffer;
  }
  // The shorter one, as people write numbers: 0.05 and 30, but 1e-3 and 1e20.
  return !fixed.empty() && fixed.size() <= scientific.size() ? fixed : scientific;
}

std::string OptionBindings::bare_key(const std::string& name) { return name.substr(name.find('.') + 1); }

void OptionBindings::push(OptionBinding binding) {
  for (const auto& existing : bindings_) {
    if (existing.name == binding.name) throw std::invalid_argument("option " + binding.name + " bound twice");
  }
  binding.default_text = binding.format();
  bindings_.push_back(std::move(binding));
}

void OptionBindings::add(const std::string& name, int& field, const std::string& help, Recorded recorded) {
  OptionBinding binding{name, "integer", help, {}, {}, {}, {}, recorder(field, name, recorded)};
  binding.parse = [&field, name, help](const std::string& text) {
    std::int64_t value = parse_int(required(text, name, help), name);
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
      throw UsageError(name + " = " + text + " is out of range");
    }
    field = static_cast<int>(value);
  };
  binding.format = [&field] { return std::to_string(field); };
  push(std::move(binding));
}

void OptionBindings::add(const std::string& name, std::int64_t& field, const std::string& help, Recorded recorded) {
  OptionBinding binding{name, "integer", help, {}, {}, {}, {}, recorder(field, name, recorded)};
  binding.parse = [&field, name, help](const std::string& text) { field = parse_int(required(text, name, help), name); };
  binding.format = [&field] { return std::to_string(field); };
  push(std::move(binding));
}

void OptionBindings::add(const std::string& name, std::uint64_t& field, const std::string& help, Recorded recorded) {
  OptionBinding binding{name, "integer", help, {}, {}, {}, {}, recorder(field, name, recorded)};
  binding.parse = [&field, name, help](const std::string& text) {
    field = static_cast<std::uint64_t>(parse_int(required(text, name, help), name));
  };
  binding.format = [&field] { return std::to_string(static_cast<std::int64_t>(field)); };
  push(std::move(binding));
}

void OptionBindings::add(const std::string& name, double& field, const std::string& help, Recorded recorded) {
  OptionBinding binding{name, "number", help, {}, {}, {}, {}, recorder(field, name, recorded)};
  binding.parse = [&field, name, help](const std::string& text) { field = parse_double(required(text, name, help), name); };
  binding.format = [&field] { return exact_text(field); };
  push(std::move(binding));
}

void OptionBindings::add(const std::string& name, bool& field, const std::string& help, Recorded recorded) {
  OptionBinding binding{name, "boolean", help, {}, {}, {}, {}, recorder(field, name, recorded)};
  binding.parse = [&field, name](const std::string& text) { field = parse_bool(text, name); };
  binding.format = [&field] { return std::string(field ? "true" : "false"); };
  push(std::move(binding));
}

void OptionBindings::add(const std::string& name, std::string& field, const std::string& help,
                         std::vector<std::string> choices, Recorded recorded) {
  OptionBinding binding{name, choices.empty() ? "text" : "choice", help, std::move(choices), {}, {}, {},
                        recorder(field, name, recorded)};
  binding.parse = [&field](const std::string& text) { field = text; };
  binding.format = [&field] { return field; };
  push(std::move(binding));
}

void OptionBindings::add(const std::string& name, std::optional<std::int64_t>& field, const std::string& help,
                         Recorded recorded) {
  OptionBinding binding{name, "integer", help, {}, {}, {}, {}, {}};
  binding.parse = [&field, name](const std::string& text) {
    field = text.empty() ? std::nullopt : std::optional<std::int64_t>(parse_int(text, name));
  };
  binding.format = [&field] { return field ? std::to_string(*field) : std::string(); };
  if (recorded == Recorded::kYes) {
    binding.record = [&field, key = bare_key(name)](nlohmann::json& out) {
      if (field) out[key] = *field;
    };
  }
  push(std::move(binding));
}

void OptionBindings::add(const std::string& name, std::optional<std::string>& field, const std::string& help,
                         std::vector<std::string> choices, Recorded recorded) {
  OptionBinding binding{name, choices.empty() ? "text" : "choice", help, std::move(choices), {}, {}, {}, {}};
  binding.parse = [&field](const std::string& text) {
    field = text.empty() ? std::nullopt : std::optional<std::string>(text);
  };
  binding.format = [&field] { return field.value_or(""); };
  if (recorded == Recorded::kYes) {
    binding.record = [&field, key = bare_key(name)](nlohmann::json& out) {
      if (field) out[key] = *field;
    };
  }
  push(std::move(binding));
}

void OptionBindings::add_custom(OptionBinding binding) {
  if (!binding.parse || !binding.format) throw std::invalid_argument("option " + binding.name + " needs parse and format");
  push(std::move(binding));
}

std::vector<ConfigKey> OptionBindings::schema() const {
  std::vector<ConfigKey> keys;
  for (const auto& binding : bindings_) keys.push_back({binding.name, binding.default_text, binding.help, binding.choices});
  return keys;
}

void OptionBindings::read(const Config& config) const {
  for (const auto& binding : bindings_) binding.parse(config.get(binding.name));
}

std::map<std::string, std::string> OptionBindings::canonical() const {
  std::map<std::string, std::string> out;
  for (const auto& binding : bindings_) out[binding.name] = binding.format();
  return out;
}

nlohmann::json OptionBindings::settings(const std::string& section) const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& binding : bindings_) {
    if (binding.record && section_of(binding.name) == section) binding.record(out);
  }
  return out;
}

std::string OptionBindings::listing() const {
  std::string out;
  std::string current;
  for (const auto& binding : bindings_) {
    const std::string section = section_of(binding.name);
    if (section != current) {
      out += (current.empty() ? "" : "\n") + std::string("## [") + section + "]\n\n";
      out += "| key | type | default | choices | meaning |\n|---|---|---|---|---|\n";
      current = section;
    }
    out += "| `" + binding.name + "` | " + binding.type + " | " +
           (binding.default_text.empty() ? "(unset)" : "`" + cell(binding.default_text) + "`") + " | " +
           cell(join(binding.choices)) + " | " + cell(binding.help) + " |\n";
  }
  return out;
}

}  // namespace curvtrack::core
