#pragma once
// Strict text parsing shared by the command line, config files and data specs.

#include <cstdint>
#include <string>
#include <vector>

namespace curvtrack::core {

/// Splits `text` at every `separator` (empty fields kept).
std::vector<std::string> split(const std::string& text, char separator);

/// Removes leading and trailing whitespace.
std::string trim(const std::string& text);

/// Parses a whole string as an integer; throws UsageError naming `what` otherwise.
std::int64_t parse_int(const std::string& text, const std::string& what);

/// Parses a whole string as a finite double; throws UsageError naming `what` otherwise.
double parse_double(const std::string& text, const std::string& what);

/// The candidate closest to `word` by edit distance (empty when there are no candidates).
std::string nearest(const std::string& word, const std::vector<std::string>& candidates);

/// Joins with ", " for messages such as "expected one of: a, b, c".
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

}  // namespace curvtrack::core
