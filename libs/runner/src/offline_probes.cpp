#include "curvtrack/runner/offline_probes.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/runs/curvature_record.hpp"
#include "curvtrack/train/checkpoint.hpp"
#include "curvtrack/runner/probe_callback.hpp"
#include "curvtrack/runner/prepared_run.hpp"
#include "curvtrack/runner/run_options.hpp"

namespace curvtrack::runner {
namespace {

std::vector<std::int64_t> select_steps(const std::string& selection, const std::vector<std::int64_t>& available) {
  if (selection == "all") return available;
  if (selection == "last") {
    if (available.empty()) throw core::UsageError("--checkpoints last: the run has no checkpoint");
    return {*std::max_element(available.begin(), available.end())};
  }
  std::vector<std::int64_t> chosen;
  if (selection.rfind("every:", 0) == 0) {
    std::int64_t every = core::parse_int(selection.substr(6), "--checkpoints every:N");
    if (every <= 0) throw core::UsageError("--checkpoints every:N needs N >= 1");
    for (std::int64_t step : available) {
      if (step % every == 0) chosen.push_back(step);
    }
    return chosen;
  }
  for (const auto& item : core::split(selection, ',')) {
    std::int64_t step = core::parse_int(item, "--checkpoints (all, every:N or a comma list of steps)");
    if (std::find(available.begin(), available.end(), step) == available.end()) {
      throw core::UsageError("--checkpoints: the run has no checkpoint at step " + item);
    }
    chosen.push_back(step);
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

std::string label_for(std::int64_t step, const std::vector<curvature::ProbePoint>& points) {
  for (const auto& point : points) {
    if (point.step == step) return point.label;
  }
  return "checkpoint";
}

// Only curvature.* keys change, and records go to a plain .jsonl name in the run directory.
void check_request(const OfflineProbeRequest& request) {
  for (const std::string& assignment : request.assignments) {
    if (assignment.rfind("curvature.", 0) != 0) {
      throw core::UsageError("--set " + assignment + ": with --run only curvature.* keys can be changed");
    }
  }
  const std::string& name = request.records;
  if (!name.empty() && (name.find('/') != std::string::npos || std::filesystem::path(name).extension() != ".jsonl")) {
    throw core::UsageError("--records " + name + " must be a file name ending in .jsonl (written in the run directory)");
  }
}

}  // namespace

OfflineProbeSummary probe_checkpoints(const OfflineProbeRequest& request) {
  check_request(request);
  RunRequest run;
  run.run_dir = request.run_dir;
  run.resume = true;
  run.threads = request.threads;
  run.quiet = request.quiet;
  if (!std::filesystem::exists(runs::RunDirectory(request.run_dir).config())) {
    throw core::DataError(request.run_dir + " is not a run directory (no config.ini)");
  }
  PreparedRun prepared = prepare_run(run);
  const std::filesystem::path records_file =
      request.records.empty() ? prepared.run.curvature() : prepared.run.curvature().parent_path() / request.records;
  if (!request.assignments.empty()) {
    prepared.options = read_run_options(resolve_run_config(prepared.run.config().string(), request.assignments));
  }
  RunResources resources = load_run_resources(prepared);
  RunProbe probe(prepared, resources);
  probe.write_listing(prepared.run);

  std::vector<runs::CurvatureRecord> records;
  std::set<std::int64_t> done;
  core::check_output_file(records_file);  // before the probes: it is rewritten at the end
  if (std::filesystem::exists(records_file)) {
    records = runs::read_curvature_records(records_file);
    for (const auto& record : records) done.insert(record.step);
  }
  std::vector<std::int64_t> steps = select_steps(request.selection, prepared.run.checkpoint_steps());
  std::int64_t added = 0;
  for (std::int64_t step : steps) {
    if (done.count(step) != 0U) continue;
    train::load_checkpoint(prepared.run.checkpoint(step), *resources.network, nullptr);
    runs::CurvatureRecord record = probe.measure(step, label_for(step, probe.points()), *resources.network);
    record.offline = true;
    records.push_back(record);
    ++added;
    if (!request.quiet) {
      std::fprintf(stderr, "spectrum --run: step %lld done (%lld HVPs, %.1fs)\n", static_cast<long long>(step),
                   static_cast<long long>(record.hvps.value_or(0)), record.seconds.value_or(0.0));
    }
  }
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  std::string text;
  for (const auto& record : records) text += record.to_json().dump() + "\n";
  core::write_file_atomically(records_file, text);
  return {added, static_cast<std::int64_t>(done.size()), records_file};
}

}  // namespace curvtrack::runner
