#pragma once
// Options declared once. Each library's options struct binds its fields to `section.key`
// names (as COLMAP's option manager does): the field's initial value is the key's only
// default, the binding holds its only list of choices and its help line. From the bindings
// come the schema a Config checks against, the reading of a resolved Config into the
// fields, the settings written into records, and the listing users read (`config --list`).

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "curvtrack/core/config.hpp"
#include "curvtrack/core/errors.hpp"

namespace curvtrack::core {

/// The spellings of an enum's values in files and on the command line, in listing order.
/// Enums are converted to and from these names only at that edge.
template <typename Enum>
class NamedValues {
 public:
  NamedValues(std::initializer_list<std::pair<Enum, const char*>> entries) {
    for (const auto& [value, name] : entries) entries_.emplace_back(value, name);
  }

  /// The spelling of `value`; std::invalid_argument for a value without one (a bug).
  const std::string& name(Enum value) const {
    for (const auto& entry : entries_) {
      if (entry.first == value) return entry.second;
    }
    throw std::invalid_argument("enum value without a name");
  }

  /// The value spelled `text`; UsageError "KEY='text' is not one of: a, b" otherwise.
  Enum parse(const std::string& text, const std::string& key) const {
    for (const auto& entry : entries_) {
      if (entry.second == text) return entry.first;
    }
    throw UsageError(key + "='" + text + "' is not one of: " + joined_names());
  }

  /// Every spelling, in listing order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& entry : entries_) out.push_back(entry.second);
    return out;
  }

 private:
  std::string joined_names() const;
  std::vector<std::pair<Enum, std::string>> entries_;
};

/// Whether a bound option appears in the settings written into records.
enum class Recorded { kYes, kNo };

/// One `section.key` bound to one field.
struct OptionBinding {
  std::string name;                               ///< "section.key"
  std::string type;                               ///< integer | number | boolean | text | choice
  std::string help;                               ///< one line of meaning
  std::vector<std::string> choices;               ///< accepted spellings (empty: any value of `type`)
  std::string default_text;                       ///< the field's value when bound ("": unset)
  std::function<void(const std::string&)> parse;  ///< resolved text -> field; UsageError naming the key
  std::function<std::string()> format;            ///< field -> canonical text (parse(format()) is exact)
  std::function<void(nlohmann::json&)> record;    ///< field -> settings JSON; empty: not recorded
};

/// `value` as the shortest text that parses back to exactly `value` ("1e-8", "0.05", "30").
std::string exact_text(double value);

/// The bindings of one or more options structs. Fields must outlive the bindings.
class OptionBindings {
 public:
  void add(const std::string& name, int& field, const std::string& help, Recorded recorded = Recorded::kYes);
  void add(const std::string& name, std::int64_t& field, const std::string& help, Recorded recorded = Recorded::kYes);
  /// Unsigned fields (seeds) read any integer; a negative one wraps, as a seed may.
  void add(const std::string& name, std::uint64_t& field, const std::string& help, Recorded recorded = Recorded::kYes);
  void add(const std::string& name, double& field, const std::string& help, Recorded recorded = Recorded::kYes);
  void add(const std::string& name, bool& field, const std::string& help, Recorded recorded = Recorded::kYes);
  /// Free text, or one of `choices` when given.
  void add(const std::string& name, std::string& field, const std::string& help,
           std::vector<std::string> choices = {}, Recorded recorded = Recorded::kYes);
  /// Optional values: an empty text leaves them unset (so `--set key=` drops a file's value).
  void add(const std::string& name, std::optional<std::int64_t>& field, const std::string& help,
           Recorded recorded = Recorded::kYes);
  void add(const std::string& name, std::optional<std::string>& field, const std::string& help,
           std::vector<std::string> choices = {}, Recorded recorded = Recorded::kYes);

  /// An enum field spelled by `names`.
  template <typename Enum>
  void add(const std::string& name, Enum& field, const std::string& help, const NamedValues<Enum>& names,
           Recorded recorded = Recorded::kYes) {
    OptionBinding binding;
    binding.name = name;
    binding.type = "choice";
    binding.help = help;
    binding.choices = names.names();
    binding.parse = [&field, names, name](const std::string& text) { field = names.parse(text, name); };
    binding.format = [&field, names] { return names.name(field); };
    if (recorded == Recorded::kYes) {
      binding.record = [&field, names, key = bare_key(name)](nlohmann::json& out) { out[key] = names.name(field); };
    }
    push(std::move(binding));
  }

  /// A field with its own text form (e.g. "80x10"); `record` may be empty.
  void add_custom(OptionBinding binding);

  /// Every binding, in declaration order.
  const std::vector<OptionBinding>& all() const { return bindings_; }

  /// The schema for core::Config: names, defaults, help, choices.
  std::vector<ConfigKey> schema() const;

  /// Sets every bound field from the resolved config (its value, else the default).
  /// Throws UsageError naming the key for a value the field cannot hold.
  void read(const Config& config) const;

  /// Each key's canonical text after read(): equal texts mean equal settings ("1e-3" and
  /// "0.001" alike), so two configs compare by value.
  std::map<std::string, std::string> canonical() const;

  /// The recorded fields of `section`, keyed by their bare names.
  nlohmann::json settings(const std::string& section) const;

  /// Every key with its type, default, choices and meaning, as a Markdown table per section.
  std::string listing() const;

  /// "key" of "section.key".
  static std::string bare_key(const std::string& name);

 private:
  void push(OptionBinding binding);
  std::vector<OptionBinding> bindings_;
};

template <typename Enum>
std::string NamedValues<Enum>::joined_names() const {
  std::string out;
  for (const auto& entry : entries_) out += (out.empty() ? "" : ", ") + entry.second;
  return out;
}

}  // namespace curvtrack::core
