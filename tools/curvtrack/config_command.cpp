// curvtrack config: every key of a run config (--list), or a config resolved and checked the
// way `train` reads it, printed as the config.ini a run would record.

#include <boost/program_options.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "commands.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/runner/run_options.hpp"

namespace po = boost::program_options;

namespace curvtrack::tool {

int run_config(const Arguments& arguments) {
  std::string config_file;
  std::vector<std::string> assignments;
  bool list = false;
  po::options_description options("curvtrack config options");
  options.add_options()
      ("list", po::bool_switch(&list), "every key with its type, default, choices and meaning (Markdown)")
      ("config", po::value(&config_file), "INI run config to resolve and check")
      ("set", po::value(&assignments)->composing(), "section.key=value, overrides the file (repeatable)");
  po::variables_map values;
  if (!parse_arguments("config", arguments, options, values)) return 0;
  if (list) {
    if (!config_file.empty() || !assignments.empty()) throw core::UsageError("--list takes no --config or --set");
    std::cout << runner::run_options_listing() << std::flush;
    return 0;
  }
  core::Config config = runner::resolve_run_config(config_file, assignments);
  runner::read_run_options(config);  // every value typed and checked, as train reads it
  std::cout << config.to_ini() << std::flush;
  return 0;
}

}  // namespace curvtrack::tool
