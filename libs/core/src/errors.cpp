#include "curvtrack/core/errors.hpp"

namespace curvtrack::core {

ExitCode exit_code_for(const std::exception& error) {
  if (dynamic_cast<const UsageError*>(&error) != nullptr) return ExitCode::kUsage;
  if (dynamic_cast<const DataError*>(&error) != nullptr) return ExitCode::kData;
  return ExitCode::kFailure;
}

std::string one_line(const std::string& message) {
  std::string out;
  out.reserve(message.size());
  bool pending_space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space && c != ' ') out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace curvtrack::core
