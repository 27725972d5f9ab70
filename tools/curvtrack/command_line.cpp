#include "command_line.hpp"

#include <ATen/Parallel.h>

#include <boost/program_options/errors.hpp>
#include <boost/program_options/parsers.hpp>
#include <iostream>
#include <cstdlib>
#include <thread>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/dist/rank_environment.hpp"

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

int apply_threads(int threads) {
  if (threads < 0) throw core::UsageError("--threads must be >= 0 (0: all cores), got " + std::to_string(threads));
  int local_ranks = 1;
  try {
    local_ranks = dist::rank_environment([](const char* name) { return std::getenv(name); }).local_ranks;
  } catch (const core::UsageError&) {
    // A malformed rank environment is reported when the ranks join.
  }
  int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  int wanted = threads > 0 ? threads : std::max(1, cores / std::max(1, local_ranks));
  at::set_num_threads(wanted);
  return at::get_num_threads();
}

}  // namespace curvtrack::tool
