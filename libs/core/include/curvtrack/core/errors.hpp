#pragma once
// Error kinds and the process exit codes they map to (README.md, "Commands": exit codes).

#include <stdexcept>
#include <string>

namespace curvtrack::core {

/// Process exit codes shared by every subcommand.
enum class ExitCode : int {
  kSuccess = 0,
  kFailure = 1,       ///< anything not covered below
  kUsage = 2,         ///< bad command line, configuration or argument value
  kData = 3,          ///< input data (dataset, model file, run directory) missing or malformed, or an output not writable
  kPreempted = 75,    ///< stopped on a signal after writing a resumable checkpoint
};

/// A usage or configuration error: the message names the option, key or value and what is accepted.
class UsageError : public std::invalid_argument {
 public:
  explicit UsageError(const std::string& message) : std::invalid_argument(message) {}
};

/// Input data missing or malformed: the message names the file and what is wrong with it.
class DataError : public std::runtime_error {
 public:
  explicit DataError(const std::string& message) : std::runtime_error(message) {}
};

/// The exit code for an exception escaping a subcommand.
ExitCode exit_code_for(const std::exception& error);

/// Collapses a (possibly multi-line) message into one line for stderr.
std::string one_line(const std::string& message);

/// one_line(message) without a LibTorch backtrace: c10::Error::what() appends "Exception
/// raised from ... (most recent call first): frame #0: ..." to the message, which is cut off.
std::string without_backtrace(const std::string& message);

}  // namespace curvtrack::core
