#pragma once
// Running other programs through the shell: quoting words, finding programs on PATH, and
// rendering a gnuplot script (the report's figures and the LR finder's plot).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace curvtrack::core {

/// `word` quoted for a POSIX shell; unchanged when it holds only characters no shell treats specially.
std::string shell_quote(const std::string& word);

/// True when an executable file named `program` is in one of the PATH folders.
bool on_path(const std::string& program);

/// Runs `gnuplot SCRIPT_NAME` in `dir` and checks that it made `outputs` (file names in `dir`, removed first);
/// returns a warning with gnuplot's output when it cannot start, fails or leaves an output missing, nothing on success.
std::optional<std::string> run_gnuplot(const std::filesystem::path& dir, const std::string& script_name,
                                       const std::vector<std::string>& outputs);

}  // namespace curvtrack::core
