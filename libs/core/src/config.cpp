#include "curvtrack/core/config.hpp"

#include <algorithm>
#include <boost/program_options/errors.hpp>
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <cctype>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"

namespace po = boost::program_options;

namespace curvtrack::core {
namespace {

// The documented section order; sections outside it follow in declaration order.
const std::vector<std::string> kSectionOrder = {"data", "model", "optim", "schedule", "train", "curvature", "run"};

std::string section_of(const std::string& name) { return name.substr(0, name.find('.')); }

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// Length of the UTF-8 sequence starting at `i`, or 0 when it is not valid UTF-8.
std::size_t utf8_length(const std::string& text, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) >> 6) != 0x2) return 0;
  }
  return length;
}

// Throws unless `line` is text: valid UTF-8 without control bytes other than tab and CR.
void check_text(const std::string& line, const std::string& where) {
  for (std::size_t i = 0; i < line.size();) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    std::size_t length = utf8_length(line, i);
    if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f || length == 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      throw UsageError(where + "binary or garbled content (byte " + hex + "); expected an INI text file");
    }
    i += length;
  }
}

// Boost's config parser reports neither line numbers nor binary content, so the text is
// checked line by line first; what passes here is plain `[section]` / `key = value` INI.
void check_lines(const std::string& text, const std::string& file) {
  std::size_t line_number = 0;
  for (const std::string& line : split(text, '\n')) {
    ++line_number;
    const std::string where = file + ":" + std::to_string(line_number) + ": ";
    check_text(line, where);
    std::string content = trim(line.substr(0, line.find('#')));
    if (content.empty()) continue;
    if (content.front() == '[') {
      std::string name = content.size() > 2 && content.back() == ']' ? content.substr(1, content.size() - 2) : "";
      if (name.empty() || trim(name) != name) throw UsageError(where + "malformed section header '" + content + "'");
      continue;
    }
    auto equals = content.find('=');
    if (equals == std::string::npos) throw UsageError(where + "expected 'key = value' or '[section]', got '" + content + "'");
    if (trim(content.substr(0, equals)).empty()) throw UsageError(where + "missing key name before '=' in '" + content + "'");
  }
}

std::string read_config_text(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw UsageError("config file " + path.string() + " does not exist");
  if (std::filesystem::is_directory(path, error)) throw UsageError("config file " + path.string() + " is a directory");
  // read_file, not a stream: libstdc++'s streambuf iterator throws an I/O error (EIO) as an
  // ios_base::failure that names no file.
  std::string text;
  try {
    text = read_file(path);
  } catch (const DataError& read_error) {
    throw UsageError("cannot read config file " + path.string() + " (" + read_error.what() + ")");
  }
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);  // editors on Windows add a BOM
  return text;
}

}  // namespace

Config::Config(std::vector<ConfigKey> keys) : keys_(std::move(keys)) {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    ConfigKey& key = keys_[i];
    auto dot = key.name.find('.');
    bool malformed = dot == std::string::npos || dot == 0 || dot + 1 == key.name.size() ||
                     key.name.find_first_of(" \t\r\n=#[]") != std::string::npos;
    if (malformed) throw std::invalid_argument("config key '" + key.name + "' is not of the form section.key");
    if (!index_.emplace(key.name, i).second) throw std::invalid_argument("config key " + key.name + " declared twice");
    key.default_value = trim(key.default_value);
    if (key.default_value.find('#') != std::string::npos) {
      throw std::invalid_argument("default of config key " + key.name + " contains '#'");
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
  check_text(text, where + key + ": ");  // what to_ini() writes must load back
  const auto& choices = declared_key.choices;
  if (!text.empty() && !choices.empty() && std::find(choices.begin(), choices.end(), text) == choices.end()) {
    throw UsageError(where + key + "='" + text + "' is not one of: " + join(choices));
  }
  return text;
}

void Config::load_file(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::string text = read_config_text(path);
  check_lines(text, file);

  po::options_description description;
  for (const auto& key : keys_) description.add_options()(key.name.c_str(), po::value<std::string>());
  std::istringstream stream(text);
  po::parsed_options parsed(&description);
  try {
    // Unregistered keys are let through so that the message can name the nearest valid key.
    parsed = po::parse_config_file(stream, description, true);
  } catch (const po::error& error) {
    throw UsageError(file + ": " + error.what());
  }

  std::map<std::string, std::string> values;
  for (const auto& option : parsed.options) {
    const std::string& key = option.string_key;
    if (index_.count(key) == 0 && ignored_sections_.count(section_of(key)) != 0) continue;
    std::string value = option.value.empty() ? std::string() : option.value.front();
    std::string checked = checked_value(key, value, file + ": ");
    if (!values.emplace(key, checked).second) throw UsageError(file + ": key " + key + " is given twice");
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
