#pragma once
// Command-line parsing shared by the subcommands (Boost.Program_options), with errors that
// name the option and suggest the nearest valid one.

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <cstdint>
#include <string>

#include "commands.hpp"

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

/// Sets the thread count (when 0: this node's cores shared by its ranks) and returns the number in force.
int apply_threads(int threads);

}  // namespace curvtrack::tool
