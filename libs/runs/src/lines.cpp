#include "lines.hpp"

namespace curvtrack::runs::detail {

std::vector<std::string> complete_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (true) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) break;
    lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

std::string lines_before_step(const std::vector<std::string>& lines, std::size_t first_kept,
                              std::int64_t resume_step,
                              const std::function<std::int64_t(const std::string&)>& step_of) {
  std::string kept;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i >= first_kept && step_of(lines[i]) >= resume_step) break;
    kept += lines[i] + "\n";
  }
  return kept;
}

}  // namespace curvtrack::runs::detail
