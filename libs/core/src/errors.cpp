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

std::string without_backtrace(const std::string& message) {
  std::string text = message;
  for (const char* marker : {"Exception raised from ", "frame #0"}) {
    std::size_t at = text.find(marker);
    if (at != std::string::npos) text.erase(at);
  }
  // A TorchScript interpreter error lists the script's frames ("Traceback of TorchScript, ...
  // <--- HERE") and ends with what went wrong ("RuntimeError: mat1 and mat2 shapes ..."): keep that.
  if (text.find("Traceback of TorchScript") != std::string::npos) {
    std::size_t end = text.find_last_not_of(" \n\r\t");
    std::string last;
    if (end != std::string::npos) {
      std::size_t newline = text.rfind('\n', end);
      std::size_t begin = newline == std::string::npos ? 0 : newline + 1;
      last = text.substr(begin, end + 1 - begin);
    }
    std::size_t colon = last.find("Error: ");
    if (colon != std::string::npos && last.find(' ') > colon) last.erase(0, colon + 7);  // "RuntimeError: "
    text = last;
  }
  std::string line = one_line(text);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

}  // namespace curvtrack::core
