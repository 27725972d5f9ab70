#pragma once
// Line handling shared by the append-only run files (metrics.csv, curvature.jsonl).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace curvtrack::runs::detail {

/// Complete lines of a file's text; a last line without '\n' is a torn write and is dropped.
std::vector<std::string> complete_lines(const std::string& text);

/// Keeps lines [0, first_kept) unconditionally, then lines until the first whose step (read by
/// `step_of`) is >= `resume_step`; returns them joined with '\n' endings.
std::string lines_before_step(const std::vector<std::string>& lines, std::size_t first_kept,
                              std::int64_t resume_step,
                              const std::function<std::int64_t(const std::string&)>& step_of);

}  // namespace curvtrack::runs::detail
