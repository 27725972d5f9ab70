#pragma once
// Command-line parsing shared by the subcommands (Boost.Program_options), with errors that
// name the option and suggest the nearest valid one.

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "commands.hpp"
#include "curvtrack/runner/prepared_run.hpp"

namespace curvtrack::tool {

/// Options every torch-using subcommand shares.
struct RuntimeOptions {
  int threads = 0;              ///< intra-op threads; 0 = all cores
  std::string device = "cpu";   ///< auto | cpu | cuda[:N]
  bool quiet = false;           ///< no progress or summary on stderr
  int dist_timeout = 300;       ///< seconds to wait for every rank (rendezvous and each collective)
};

/// Adds --threads, --device, --quiet and --dist-timeout.
void add_runtime_options(boost::program_options::options_description& options, RuntimeOptions& runtime);

/// Parses `arguments`; returns false (after printing help to stdout) when --help was given.
/// Throws core::UsageError for unknown options (naming the nearest valid one) and bad values.
bool parse_arguments(const std::string& command, const Arguments& arguments,
                     const boost::program_options::options_description& options,
                     boost::program_options::variables_map& values);

/// Command-line options of commands that run a config (train, lrfind).
struct RunCommandOptions {
  std::string config_file;
  std::vector<std::string> assignments;  ///< --set section.key=value
  std::string run_dir;
  std::string resume = "never";          ///< never | auto
  RuntimeOptions runtime;
};

/// Adds --config, --set, --run-dir, --resume and the runtime options.
void add_run_options(boost::program_options::options_description& options, RunCommandOptions& command);

/// The run library's request for these options; core::UsageError for a bad --resume.
runner::RunRequest run_request(const RunCommandOptions& command);

}  // namespace curvtrack::tool
