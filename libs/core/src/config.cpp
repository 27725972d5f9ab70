#include "curvtrack/core/config.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/ini.hpp"
#include "curvtrack/core/text.hpp"

namespace curvtrack::core {
namespace {

// The documented section order; sections outside it follow in declaration order.
const std::vector<std::string> kSectionOrder = {"data", "model", "optim", "schedule", "train", "curvature", "run"};

std::string section_of(const std::string& name) { return name.substr(0, name.find('.')); }

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

}  // namespace

Config::Config(std::vector<ConfigKey> keys) : keys_(std::move(keys)) {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    ConfigKey& key = keys_[i];
    auto dot = key.name.find('.');
    bool malformed = dot == std::string::npos || dot == 0 || dot + 1 == key.name.size() ||
                     key.name.find_first_of(" \t\r\n=#;[]") != std::string::npos;
    if (malformed) throw std::invalid_argument("config key '" + key.name + "' is not of the form section.key");
    if (!index_.emplace(key.name, i).second) throw std::invalid_argument("config key " + key.name + " declared twice");
    key.default_value = trim(key.default_value);
    if (key.default_value.find('#') != std::string::npos) {
      throw std::invalid_argument("default of config key " + key.name + " contains '#'");
    }
    if (ini_comment_start(" " + key.default_value) != std::string::npos) {
      throw std::invalid_argument("default of config key " + key.name + " holds a ';' that would start a comment");
    }
    if (!key.default_value.empty() && !key.choices.empty() &&
        std::find(key.choices.begin(), key.choices.end(), key.default_value) == key.choices.end()) {
      throw std::invalid_argument("default '" + key.default_value + "' of config key " + key.name +
                                  " is not one of its choices");
    }
  }
}

void Config::ignore_section(const std::string& name) { ignored_sections_.insert(name); }

const ConfigKey& Config::declared(const std::string& key) const {
  auto found = index_.find(key);
  if (found == index_.end()) throw std::invalid_argument("config key " + key + " is not declared");
  return keys_[found->second];
}

std::string Config::checked_value(const std::string& key, const std::string& value, const std::string& where) const {
  auto found = index_.find(key);
  if (found == index_.end()) {
    throw UsageError(where + "unknown key " + key + "; did you mean " + nearest(key, key_names()) + "?");
  }
  const ConfigKey& declared_key = keys_[found->second];
  std::string text = trim(value);
  if (text.find_first_of("#\r\n") != std::string::npos) {
    throw UsageError(where + key + "='" + text + "': values cannot contain '#' or line breaks");
  }
  if (ini_comment_start(" " + text) != std::string::npos) {  // to_ini() writes `key = value`
    throw UsageError(where + key + "='" + text +
                     "': values cannot start with ';' or hold ';' after a space (it starts a comment)");
  }
  check_ini_text(text, where + key + ": ");  // what to_ini() writes must load back
  const auto& choices = declared_key.choices;
  if (!text.empty() && !choices.empty() && std::find(choices.begin(), choices.end(), text) == choices.end()) {
    throw UsageError(where + key + "='" + text + "' is not one of: " + join(choices));
  }
  return text;
}

void Config::load_file(const std::filesystem::path& path) {
  const std::string file = path.string();
  const IniDocument ini = parse_ini(read_ini_file(path, "config file"), file, key_names());
  std::map<std::string, std::string> values;
  for (const IniEntry& entry : ini.entries) {
    const std::string key = entry.section + "." + entry.key;
    if (index_.count(key) == 0 && ignored_sections_.count(section_of(key)) != 0) continue;
    const std::string where = file + ":" + std::to_string(entry.line) + ": ";
    // parse_ini rejects a repeated (section, key); this catches [a.b] c = ... next to [a] b.c = ...
    if (!values.emplace(key, checked_value(key, entry.value, where)).second) {
      throw UsageError(where + "key " + key + " is given twice");
    }
  }
  // Only a fully valid file changes the configuration.
  for (auto& [key, value] : values) file_values_[key] = value;
}

void Config::set(const std::string& assignment) {
  auto equals = assignment.find('=');
  if (equals == std::string::npos) {
    throw UsageError("expected section.key=value, got '" + assignment + "'");
  }
  set(trim(assignment.substr(0, equals)), assignment.substr(equals + 1));
}

void Config::set(const std::string& key, const std::string& value) {
  override_values_[key] = checked_value(key, value, "");
}

std::string Config::explicit_value(const std::string& key) const {
  if (auto found = override_values_.find(key); found != override_values_.end()) return found->second;
  if (auto found = file_values_.find(key); found != file_values_.end()) return found->second;
  return {};
}

std::string Config::get(const std::string& key) const {
  const ConfigKey& declared_key = declared(key);
  std::string value = explicit_value(key);
  return value.empty() ? declared_key.default_value : value;
}

bool Config::has(const std::string& key) const { return !get(key).empty(); }

double Config::get_double(const std::string& key) const {
  if (!has(key)) throw UsageError(key + " is not set (" + declared(key).help + ")");
  return parse_double(get(key), key);
}

std::int64_t Config::get_int(const std::string& key) const {
  if (!has(key)) throw UsageError(key + " is not set (" + declared(key).help + ")");
  return parse_int(get(key), key);
}

bool Config::get_bool(const std::string& key) const {
  const std::string value = lower(get(key));
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no") return false;
  throw UsageError(key + ": '" + get(key) + "' is not a boolean (true, false, 1, 0, yes, no)");
}

std::map<std::string, std::string> Config::section(const std::string& name) const {
  std::map<std::string, std::string> values;
  for (const auto& key : keys_) {
    if (section_of(key.name) != name) continue;
    std::string value = explicit_value(key.name);
    if (!value.empty()) values[key.name.substr(name.size() + 1)] = value;
  }
  return values;
}

std::string Config::to_ini() const {
  std::vector<std::string> sections = kSectionOrder;
  for (const auto& key : keys_) {
    if (std::find(sections.begin(), sections.end(), section_of(key.name)) == sections.end()) {
      sections.push_back(section_of(key.name));
    }
  }
  std::string out = "# curvtrack configuration, resolved: --set, then the config file, then defaults.\n";
  for (const auto& name : sections) {
    bool header = false;
    for (const auto& key : keys_) {
      if (section_of(key.name) != name) continue;
      if (!header) out += "\n[" + name + "]\n";
      header = true;
      std::string comment = key.help;
      if (!key.choices.empty()) comment += (comment.empty() ? "" : " ") + std::string("(one of: ") + join(key.choices) + ")";
      for (const auto& line : split(comment, '\n')) {
        if (!trim(line).empty()) out += "# " + trim(line) + "\n";
      }
      std::string value = get(key.name);
      out += key.name.substr(name.size() + 1) + " =" + (value.empty() ? "" : " " + value) + "\n";
    }
  }
  return out;
}

std::vector<std::string> Config::key_names() const {
  std::vector<std::string> names;
  names.reserve(keys_.size());
  for (const auto& key : keys_) names.push_back(key.name);
  return names;
}

}  // namespace curvtrack::core
