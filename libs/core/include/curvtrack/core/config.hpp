#pragma once
// INI configuration with dotted `section.key` names, shared by config files and --set
// (README.md, "Run directories and configs"): a declared schema, a file layer, an override layer.

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace curvtrack::core {

/// One declared key: name "section.key", default (empty = unset), a doc line, and optionally
/// the accepted values.
struct ConfigKey {
  std::string name;                  ///< "section.key"
  std::string default_value;         ///< used when neither the file nor --set gives a value
  std::string help;                  ///< one line, written as a comment by to_ini()
  std::vector<std::string> choices;  ///< accepted values; empty = any
};

/// A resolved configuration: each declared key's value comes from --set (set()), else the
/// file (load_file()), else its default. An empty value anywhere means "not given": the key
/// falls back to its default, so `--set schedule.momentum=` drops a file's value.
/// Values cannot hold '#', a ';' first or after a space (both start a comment in INI files,
/// core/ini.hpp), or line breaks.
class Config {
 public:
  /// The schema; throws std::invalid_argument on a malformed or repeated name, or a default
  /// outside its choices.
  explicit Config(std::vector<ConfigKey> keys);

  /// Undeclared keys of `[name]` are skipped instead of rejected (declared ones are still read),
  /// so a subcommand can read a full run config.
  void ignore_section(const std::string& name);

  /// Reads an INI file (core/ini.hpp) into the file layer. Throws UsageError naming the path
  /// for a missing or unreadable file, and the path and line for binary content, a bad line,
  /// a key before any [section], an unknown key (with the nearest declared one), a key given
  /// twice, or a value outside its choices.
  void load_file(const std::filesystem::path& path);

  /// Applies "section.key=value" (a --set argument) to the override layer; same checks.
  void set(const std::string& assignment);

  /// Sets `key` to `value` in the override layer; same checks.
  void set(const std::string& key, const std::string& value);

  /// The resolved value (empty when unset); throws std::invalid_argument for an undeclared key.
  std::string get(const std::string& key) const;

  /// True when the resolved value is non-empty.
  bool has(const std::string& key) const;

  /// The value as a finite double; UsageError naming key and value otherwise, or when unset.
  double get_double(const std::string& key) const;

  /// The value as an integer; UsageError naming key and value otherwise, or when unset.
  std::int64_t get_int(const std::string& key) const;

  /// The value as a boolean (true/false, 1/0, yes/no; any case); UsageError otherwise.
  bool get_bool(const std::string& key) const;

  /// The keys of `[name]` given a value by the file or --set, without the "name." prefix.
  std::map<std::string, std::string> section(const std::string& name) const;

  /// The resolved config as INI: every key in section order with a "# help" comment; unset
  /// keys are written as `key =`. load_file() of this text reproduces it exactly.
  std::string to_ini() const;

  /// Every declared key, in declaration order.
  std::vector<std::string> key_names() const;

 private:
  const ConfigKey& declared(const std::string& key) const;
  // Checks an assignment's key and value; `where` prefixes messages (file name or empty).
  std::string checked_value(const std::string& key, const std::string& value, const std::string& where) const;
  std::string explicit_value(const std::string& key) const;

  std::vector<ConfigKey> keys_;
  std::map<std::string, std::size_t> index_;
  std::set<std::string> ignored_sections_;
  std::map<std::string, std::string> file_values_;
  std::map<std::string, std::string> override_values_;
};

}  // namespace curvtrack::core
