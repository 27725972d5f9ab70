#pragma once
// The one INI reader, shared by run configs (core::Config), a run's config.ini (report) and
// study files (sweep): it knows the syntax; what the sections and keys mean is the caller's.
//
// Rules: UTF-8 text only (no control bytes but tab and CR); a leading BOM is dropped; line ends
// are LF or CRLF; `#` starts a comment anywhere, `;` at the start of a line or after whitespace
// (so that `extra = --a;--b` keeps its separator); `[section]` headers (the name trimmed);
// `key = value` lines (both trimmed, the value may be empty and may hold '='); every key under
// a section, each (section, key) given once. A section may be opened more than once.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace curvtrack::core {

/// One `key = value` line.
struct IniEntry {
  std::string section;   ///< the [section] above it
  std::string key;       ///< non-empty
  std::string value;     ///< empty for `key =`
  std::size_t line = 0;  ///< 1-based line number
};

/// One `[section]` header.
struct IniSection {
  std::string name;
  std::size_t line = 0;  ///< 1-based line number
};

/// An INI text, in file order.
struct IniDocument {
  std::vector<IniSection> sections;  ///< every header, a repeated one each time
  std::vector<IniEntry> entries;
};

/// Parses INI text by the rules above. Throws UsageError "FILE:LINE: ..." (FILE is `file`) for
/// binary or garbled content (naming the byte), a malformed header, a line that is neither a
/// header nor `key = value`, an empty key, a key before any header, or a key given twice in
/// its section. `known_keys` ("section.key") only help that second-to-last message name the
/// section a key belongs to.
IniDocument parse_ini(const std::string& text, const std::string& file,
                      const std::vector<std::string>& known_keys = {});

/// The text of an INI file for parse_ini. Throws UsageError "<what> PATH does not exist",
/// "... is a directory" or "cannot read <what> PATH (why)"; `what` is e.g. "config file".
std::string read_ini_file(const std::filesystem::path& path, const std::string& what);

/// Throws UsageError `where` + "binary or garbled content (byte 0x..); ..." unless `text` is
/// valid UTF-8 without control bytes other than tab and CR (what parse_ini accepts on a line).
void check_ini_text(const std::string& text, const std::string& where);

/// Where a comment starts in `line` ('#' anywhere, ';' first or after whitespace), or npos.
std::size_t ini_comment_start(const std::string& line);

}  // namespace curvtrack::core
