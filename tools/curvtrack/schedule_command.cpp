// curvtrack schedule: the learning rate and momentum of every optimizer step as CSV, from the
// [schedule] section of a config file and/or --set, for checking a schedule before training.

#include <boost/program_options.hpp>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "commands.hpp"
#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/config.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/runner/run_options.hpp"
#include "curvtrack/schedules/schedule.hpp"

namespace po = boost::program_options;

namespace curvtrack::tool {
namespace {

// train.steps plus every [schedule] key; schedule defaults are left empty on purpose, so that
// make_schedule applies each policy's own defaults and rejects keys the policy does not use.
core::Config schedule_config() {
  runner::RunOptions run;
  core::OptionBindings bindings;
  bindings.add("train.steps", run.train.steps, "optimizer updates in the run");
  schedules::bind_schedule_keys(bindings, run.schedule);
  core::Config config(bindings.schema());
  // A full training config is accepted: the other sections belong to other commands.
  for (const char* section : {"data", "model", "optim", "train", "curvature", "run"}) config.ignore_section(section);
  return config;
}

}  // namespace

int run_schedule(const Arguments& arguments) {
  std::string config_file;
  std::vector<std::string> assignments;
  std::int64_t steps = 0;
  std::string out;
  po::options_description options("curvtrack schedule options");
  options.add_options()
      ("config", po::value(&config_file), "INI file; only [schedule] and train.steps are read")
      ("set", po::value(&assignments)->composing(), "section.key=value, overrides the file (repeatable)")
      ("steps", po::value(&steps), "optimizer updates (default: train.steps)")
      ("out", po::value(&out), "write the CSV to this file (atomically) instead of stdout");
  po::variables_map values;
  if (!parse_arguments("schedule", arguments, options, values)) return 0;

  core::Config config = schedule_config();
  if (!config_file.empty()) config.load_file(config_file);
  for (const auto& assignment : assignments) config.set(assignment);
  if (values.count("steps") != 0U) config.set("train.steps", std::to_string(steps));
  if (!config.has("train.steps")) throw core::UsageError("no step count: give --steps N or train.steps in the config");

  auto schedule = schedules::make_schedule(config.section("schedule"), config.get_int("train.steps"));
  // Rows are streamed in chunks: memory stays bounded whatever the step count (a table of 10^11
  // steps is terabytes; it fails on a full disk or file size limit, exit 3, not in the allocator).
  std::optional<core::AtomicFile> file;
  if (!out.empty()) file.emplace(out);
  auto emit = [&](const std::string& chunk) {
    if (file) {
      file->write(chunk);
    } else if (!std::cout.write(chunk.data(), static_cast<std::streamsize>(chunk.size()))) {
      throw core::DataError(std::string("cannot write the schedule to stdout: ") + std::strerror(errno));
    }
  };
  std::string csv = "step,lr,momentum\n";
  constexpr std::size_t kChunk = 1 << 16;
  char row[96];
  for (std::int64_t step = 0; step < schedule->total_steps(); ++step) {
    schedules::ScheduleValue value = schedule->at(step);
    // %.17g: every double reads back bit for bit.
    int length = value.momentum ? std::snprintf(row, sizeof row, "%" PRId64 ",%.17g,%.17g\n", step, value.lr, *value.momentum)
                                : std::snprintf(row, sizeof row, "%" PRId64 ",%.17g,\n", step, value.lr);
    csv.append(row, static_cast<std::size_t>(length));
    if (csv.size() >= kChunk) {
      emit(csv);
      csv.clear();
    }
  }
  emit(csv);
  if (!file) {
    if (!std::cout.flush()) throw core::DataError(std::string("cannot write the schedule to stdout: ") + std::strerror(errno));
  } else {
    file->commit();
    std::fprintf(stderr, "%s: %" PRId64 " steps of %s\n", out.c_str(), schedule->total_steps(),
                 schedule->describe().c_str());
  }
  return 0;
}

}  // namespace curvtrack::tool
