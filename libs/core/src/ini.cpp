#include "curvtrack/core/ini.hpp"

#include <cctype>
#include <cstdio>
#include <map>
#include <system_error>
#include <utility>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"

namespace curvtrack::core {
namespace {

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

// ", e.g. [schedule]" when `known_keys` has `key` in some section (", e.g. [data] or [run]" for
// several), else nothing.
std::string section_hint(const std::string& key, const std::vector<std::string>& known_keys) {
  std::vector<std::string> sections;
  for (const std::string& known : known_keys) {
    auto dot = known.find('.');
    if (dot == std::string::npos || known.substr(dot + 1) != key) continue;
    std::string section = "[" + known.substr(0, dot) + "]";
    bool listed = false;
    for (const auto& s : sections) listed = listed || s == section;
    if (!listed) sections.push_back(section);
  }
  return sections.empty() ? "" : ", e.g. " + join(sections, " or ");
}

}  // namespace

void check_ini_text(const std::string& text, const std::string& where) {
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t length = utf8_length(text, i);
    if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f || length == 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      throw UsageError(where + "binary or garbled content (byte " + hex + "); expected an INI text file");
    }
    i += length;
  }
}

std::size_t ini_comment_start(const std::string& line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#') return i;
    if (line[i] == ';' && (i == 0 || std::isspace(static_cast<unsigned char>(line[i - 1])) != 0)) return i;
  }
  return std::string::npos;
}

std::string read_ini_file(const std::filesystem::path& path, const std::string& what) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw UsageError(what + " " + path.string() + " does not exist");
  if (std::filesystem::is_directory(path, error)) throw UsageError(what + " " + path.string() + " is a directory");
  // read_file, not a stream: libstdc++'s streambuf iterator throws an I/O error (EIO) as an
  // ios_base::failure that names no file.
  try {
    return read_file(path);
  } catch (const DataError& read_error) {
    throw UsageError("cannot read " + what + " " + path.string() + " (" + read_error.what() + ")");
  }
}

IniDocument parse_ini(const std::string& text, const std::string& file, const std::vector<std::string>& known_keys) {
  const bool bom = text.compare(0, 3, "\xEF\xBB\xBF") == 0;  // editors on Windows add one
  IniDocument document;
  std::map<std::pair<std::string, std::string>, std::size_t> first_line;
  std::size_t number = 0;
  for (const std::string& line : split(bom ? text.substr(3) : text, '\n')) {
    ++number;
    const std::string where = file + ":" + std::to_string(number) + ": ";
    check_ini_text(line, where);
    std::string content = trim(line.substr(0, ini_comment_start(line)));
    if (content.empty()) continue;
    if (content.front() == '[') {
      std::string name = content.size() > 2 && content.back() == ']' ? trim(content.substr(1, content.size() - 2)) : "";
      if (name.empty() || name.find_first_of("[]") != std::string::npos) {
        throw UsageError(where + "malformed section header '" + content + "'");
      }
      document.sections.push_back({name, number});
      continue;
    }
    auto equals = content.find('=');
    if (equals == std::string::npos) throw UsageError(where + "expected 'key = value' or '[section]', got '" + content + "'");
    std::string key = trim(content.substr(0, equals));
    if (key.empty()) throw UsageError(where + "missing key name before '=' in '" + content + "'");
    if (document.sections.empty()) {
      throw UsageError(where + "key '" + key + "' comes before any [section]; write it under its section" +
                       section_hint(key, known_keys));
    }
    const std::string& section = document.sections.back().name;
    auto [first, inserted] = first_line.emplace(std::make_pair(section, key), number);
    if (!inserted) {
      throw UsageError(where + "key " + key + " in [" + section + "] is given twice (first on line " +
                       std::to_string(first->second) + ")");
    }
    document.entries.push_back({section, key, trim(content.substr(equals + 1)), number});
  }
  return document;
}

}  // namespace curvtrack::core
