// curvtrack lrfind: the LR range test (docs/methods.md section 1.5) on the model, data and optimizer of a run
// config, written as lrfind.csv, lrfind.json and a figure; the suggestions go to stderr. Linear mode
// is judged on training images held out from the sweep (train.lrfind_validation), never the test split.

#include <boost/program_options.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "command_line.hpp"
#include "commands.hpp"
#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/runner/lr_finder_outputs.hpp"
#include "curvtrack/runner/prepared_run.hpp"

namespace po = boost::program_options;

namespace curvtrack::tool {

int run_lrfind(const Arguments& arguments) {
  RunCommandOptions command;
  std::string out, mode, rule;
  po::options_description options("curvtrack lrfind options");
  options.add_options()
      ("config", po::value(&command.config_file), "INI run config (data, model, optim, schedule momentum, run.seed)")
      ("set", po::value(&command.assignments)->composing(), "section.key=value, overrides the file (repeatable)")
      ("out", po::value(&out), "folder for lrfind.csv, lrfind.json, lrfind.gp, lrfind.png and lrfind.svg (required)")
      ("mode", po::value(&mode)->default_value("exp"),
       "exp: exponential sweep judged on the smoothed training loss; linear: Smith's linear sweep over a few "
       "epochs, judged on the accuracy of training images held out from it (never the test split)")
      ("start", po::value<double>(), "first learning rate (default 1e-7)")
      ("end", po::value<double>(), "last learning rate (default 10)")
      ("num-it", po::value<int>(), "exp: sweep steps, num_it + 1 batches; linear: about this many evaluations (default 100)")
      ("rule", po::value(&rule),
       "suggestion reported as chosen: smith | minimum | steep | valley (default: train.lrfind_rule, smith)")
      ("validation", po::value<std::int64_t>(),
       "linear: training images held out to judge it (default: train.lrfind_validation, 5000)")
      ("momentum", po::value<double>(), "fixed momentum during the sweep (default: the schedule's at step 0, else 0.9)")
      ("epochs", po::value<int>(), "linear: epochs the lr takes to rise from start to end (default 3)")
      ("beta", po::value<double>(), "loss smoothing factor (default 0.98)")
      ("stop-factor", po::value<double>(), "stop once the smoothed loss exceeds this times its best (default 4)");
  add_runtime_options(options, command.runtime);
  po::variables_map values;
  if (!parse_arguments("lrfind", arguments, options, values)) return 0;
  if (out.empty()) throw core::UsageError("lrfind needs --out DIR for its files");
  if (mode != "exp" && mode != "linear") throw core::UsageError("--mode '" + mode + "' is not one of exp, linear");
  auto rules = train::lr_finder_rules();
  if (!rule.empty() && std::find(rules.begin(), rules.end(), rule) == rules.end()) {
    throw core::UsageError("--rule '" + rule + "' is not one of " + core::join(rules));
  }
  if (!values["device"].defaulted()) command.assignments.push_back("train.device=" + command.runtime.device);
  if (values.count("validation") != 0U) {
    command.assignments.push_back("train.lrfind_validation=" + std::to_string(values["validation"].as<std::int64_t>()));
  }
  // Before the sweep: the folder must be one and its files regular (or absent).
  if (std::filesystem::exists(out) && !std::filesystem::is_directory(out)) {
    throw core::DataError("--out " + out + " exists and is not a folder");
  }
  for (const char* name : {runner::kLrFinderCsv, runner::kLrFinderJson, "lrfind.gp", "lrfind.png", "lrfind.svg"}) {
    core::check_output_file(std::filesystem::path(out) / name);
  }

  // The output folder is not a run: reusing it (an earlier lrfind's files) must not be refused,
  // which prepare_run only allows when resuming. A run directory given as --out lends its config.
  command.run_dir = out;
  command.resume = "auto";
  runner::PreparedRun prepared = runner::prepare_run(run_request(command));
  if (rule.empty()) rule = prepared.options.train.lrfind_rule;
  runner::RunResources resources = runner::load_run_resources(prepared, runner::ScheduleNeed::kNone);

  train::LrFinderOptions finder = runner::lr_finder_options(prepared.options.schedule);
  finder.mode = mode;
  if (values.count("start") != 0U) finder.start = values["start"].as<double>();
  if (values.count("end") != 0U) finder.end = values["end"].as<double>();
  if (values.count("num-it") != 0U) finder.num_it = values["num-it"].as<int>();
  if (values.count("momentum") != 0U) finder.momentum = values["momentum"].as<double>();
  if (values.count("epochs") != 0U) finder.linear_epochs = values["epochs"].as<int>();
  if (values.count("beta") != 0U) finder.beta = values["beta"].as<double>();
  if (values.count("stop-factor") != 0U) finder.stop_factor = values["stop-factor"].as<double>();

  runner::LrFinderRecord record = runner::run_lr_finder_for(prepared, resources, finder, rule);
  std::error_code created;
  std::filesystem::create_directories(out, created);
  if (created) throw core::DataError("cannot create --out " + out + ": " + created.message());
  std::vector<std::string> warnings = runner::write_lr_finder_outputs(out, record);
  if (!command.runtime.quiet) {
    for (const auto& warning : warnings) std::fprintf(stderr, "lrfind: warning: %s\n", warning.c_str());
    std::fputs(runner::lr_finder_summary(record).c_str(), stderr);
    std::fprintf(stderr, "lrfind: wrote %s\n", (std::filesystem::path(out) / runner::kLrFinderJson).c_str());
  }
  return 0;
}

}  // namespace curvtrack::tool
