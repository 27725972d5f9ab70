#include "command_line.hpp"

#include <boost/program_options/errors.hpp>
#include <boost/program_options/parsers.hpp>
#include <iostream>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"

namespace po = boost::program_options;

namespace curvtrack::tool {

void add_runtime_options(po::options_description& options, RuntimeOptions& runtime) {
  options.add_options()
      ("threads", po::value(&runtime.threads)->default_value(0), "intra-op threads (0: all cores, shared by the ranks on this node)")
      ("device", po::value(&runtime.device)->default_value("cpu"), "auto | cpu | cuda[:N]")
      ("quiet", po::bool_switch(&runtime.quiet), "no progress or summary on stderr")
      ("dist-timeout", po::value(&runtime.dist_timeout)->default_value(300),
       "seconds to wait for every rank under srun -n R or RANK/WORLD_SIZE (rendezvous and each collective)");
}

bool parse_arguments(const std::string& command, const Arguments& arguments,
                     const po::options_description& options, po::variables_map& values) {
  po::options_description all(options);
  all.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(arguments).options(all).run(), values);
    if (values.count("help") != 0U) {
      std::cout << "usage: curvtrack " << command << " [options]\n" << all;
      return false;
    }
    po::notify(values);
  } catch (const po::unknown_option& error) {
    std::vector<std::string> names;
    for (const auto& option : all.options()) names.push_back("--" + option->long_name());
    std::string unknown = error.get_option_name();
    throw core::UsageError("unknown option " + unknown + " for curvtrack " + command +
                           "; did you mean " + core::nearest(unknown, names) + "?");
  } catch (const po::error& error) {
    throw core::UsageError(std::string(error.what()) + " (curvtrack " + command + " --help lists the options)");
  }
  return true;
}

void add_run_options(po::options_description& options, RunCommandOptions& command) {
  options.add_options()
      ("config", po::value(&command.config_file), "INI run config")
      ("set", po::value(&command.assignments)->composing(), "section.key=value, overrides the file (repeatable)")
      ("run-dir", po::value(&command.run_dir), "run directory (default: runs/<run.name or run>-seed<run.seed>)")
      ("resume", po::value(&command.resume)->default_value("never"), "auto: continue the run in --run-dir from its latest good checkpoint");
  add_runtime_options(options, command.runtime);
}

runner::RunRequest run_request(const RunCommandOptions& command) {
  if (command.resume != "never" && command.resume != "auto") {
    throw core::UsageError("--resume '" + command.resume + "' is not one of never, auto");
  }
  return {command.config_file, command.assignments,  command.run_dir,
          command.resume == "auto", command.runtime.threads, command.runtime.quiet};
}

}  // namespace curvtrack::tool
