#include "curvtrack/report/run_loader.hpp"

#include <algorithm>
#include <set>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/ini.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/runs/json_log.hpp"
#include "curvtrack/runs/meta.hpp"
#include "curvtrack/runs/run_directory.hpp"

namespace fs = std::filesystem;

namespace curvtrack::report {
namespace {

// Deep enough for study/arm/seed-N layouts; a bound against symbolic-link loops.
constexpr int kMaxSearchDepth = 8;

bool has_run_files(const fs::path& dir) {
  std::error_code ignored;
  for (const char* name : {"config.ini", "metrics.csv", "curvature.jsonl"}) {
    if (fs::exists(dir / name, ignored)) return true;
  }
  return false;
}

// Depth-first search for folders holding meta.json; a folder with run files, no meta.json and
// no run directory below it is a partial run.
void search(const fs::path& dir, int depth, std::vector<fs::path>& found, std::vector<SkippedRun>& skipped) {
  std::error_code error;
  if (fs::exists(dir / "meta.json", error)) {
    found.push_back(dir);
    return;
  }
  const std::size_t found_before = found.size();
  if (depth < kMaxSearchDepth) {
    std::vector<fs::path> children;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, error), end;
         !error && it != end; it.increment(error)) {
      std::string name = it->path().filename().string();
      if (name.empty() || name[0] == '.' || name == "checkpoints") continue;
      std::error_code type_error;
      if (it->is_directory(type_error)) children.push_back(it->path());
    }
    std::sort(children.begin(), children.end());
    for (const auto& child : children) search(child, depth + 1, found, skipped);
  }
  if (found.size() == found_before && has_run_files(dir)) skipped.push_back({dir, "no meta.json"});
}

// Bytes after the last newline of a file (0: none, or no file): a torn last record.
std::size_t torn_bytes(const fs::path& path) {
  std::error_code error;
  if (!fs::is_regular_file(path, error)) return 0;
  const std::string text = core::read_file(path);
  const std::size_t last_newline = text.rfind('\n');
  return last_newline == std::string::npos ? text.size() : text.size() - last_newline - 1;
}

}  // namespace

std::map<std::string, std::string> read_ini(const fs::path& path) {
  std::map<std::string, std::string> values;
  try {
    for (const core::IniEntry& entry : core::parse_ini(core::read_file(path), path.string()).entries) {
      values[entry.section + "." + entry.key] = entry.value;
    }
  } catch (const core::UsageError& error) {
    throw core::DataError(error.what());  // a run's files are data (exit 3), not a usage error
  }
  return values;
}

bool test_probe_on_training_split(const LoadedRun& run) {
  auto key = run.config.find("curvature.test_probe");
  return key != run.config.end() && core::trim(key->second).rfind("train:", 0) == 0;
}

LoadedRun load_run(const fs::path& dir) {
  runs::RunDirectory layout(dir);
  if (!fs::exists(layout.meta())) throw core::DataError("no meta.json");
  LoadedRun run;
  run.dir = dir;
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(core::read_file(layout.meta()));
  } catch (const std::exception&) {
    throw core::DataError("meta.json is not a valid JSON object");
  }
  if (!meta.is_object()) throw core::DataError("meta.json is not a valid JSON object");
  run.meta = runs::MetaRecord::from_json(meta, "meta.json");  // a field of the wrong type is named
  run.status = run.meta.status ? runs::status_name(*run.meta.status) : "unknown";
  if (fs::exists(layout.config())) {
    try {
      run.config = read_ini(layout.config());
    } catch (const core::DataError& error) {
      throw core::DataError(std::string("config.ini is malformed (") + error.what() + ")");
    }
  } else {
    run.notes.push_back("no config.ini (arm and seed from meta.json)");
  }
  run.arm = run.config.count("run.name") != 0U ? run.config["run.name"] : "";
  if (run.arm.empty()) run.arm = run.meta.run_name.value_or("");
  if (run.arm.empty()) throw core::DataError("no run.name in config.ini or meta.json");
  std::string seed = run.config.count("run.seed") != 0U ? run.config["run.seed"] : "";
  if (seed.empty() && run.meta.run_seed) seed = std::to_string(*run.meta.run_seed);
  if (seed.empty()) throw core::DataError("no run.seed in config.ini or meta.json");
  try {
    run.seed = core::parse_int(seed, "run.seed");
  } catch (const core::UsageError&) {
    throw core::DataError("run.seed '" + seed + "' is not an integer");
  }

  if (fs::exists(layout.metrics())) {
    try {
      run.metrics = runs::read_metrics(layout.metrics());
    } catch (const core::DataError& error) {
      throw core::DataError(std::string("metrics.csv is malformed (") + error.what() + ")");
    }
  } else {
    run.notes.push_back("no metrics.csv");
  }
  if (fs::exists(layout.curvature())) {
    try {
      for (auto& record : runs::read_curvature_records(layout.curvature())) {
        if (record.probing_stopped) {
          run.probing_stopped = *record.probing_stopped;
        } else {
          run.curvature.push_back(std::move(record));
        }
      }
    } catch (const core::DataError& error) {
      throw core::DataError(std::string("curvature.jsonl is malformed (") + error.what() + ")");
    }
  } else {
    run.notes.push_back("no curvature.jsonl");
  }
  std::stable_sort(run.curvature.begin(), run.curvature.end(),
                   [](const runs::CurvatureRecord& x, const runs::CurvatureRecord& y) { return x.step < y.step; });

  if (run.meta.total_steps) {
    run.total_steps = *run.meta.total_steps;
  } else if (!run.metrics.empty() && run.metrics.back().count("step") != 0U) {
    run.total_steps = static_cast<std::int64_t>(run.metrics.back().at("step"));
    run.notes.push_back("no total_steps in meta.json; using the last logged step");
  }

  // A torn last line is what a crash leaves in a running run, and its resume drops it; in a
  // completed run nothing will: the record that ended training is lost, and the last complete
  // one is not the end of training.
  if (run.status == "completed") {
    for (const fs::path& file : {layout.curvature(), layout.metrics()}) {
      if (std::size_t torn = torn_bytes(file); torn > 0) {
        run.damage.push_back(file.filename().string() + " ends in a torn record (" + std::to_string(torn) +
                             " bytes after the last newline) although the run completed");
        run.notes.push_back("damaged: " + run.damage.back());
      }
    }
  }

  if (fs::exists(layout.lrfind())) {
    try {
      run.lrfind = runs::read_metrics(layout.lrfind());
    } catch (const core::DataError& error) {
      run.notes.push_back(std::string("lrfind.csv ignored: ") + error.what());
    }
  }
  if (fs::exists(dir / "lrfind.json")) {
    try {
      run.lrfind_meta = nlohmann::json::parse(core::read_file(dir / "lrfind.json"));
    } catch (const std::exception&) {
      run.notes.push_back("lrfind.json ignored: not valid JSON");
    }
  }
  return run;
}

RunSet load_runs(const std::vector<fs::path>& arguments) {
  RunSet set;
  std::vector<fs::path> candidates;
  for (const auto& argument : arguments) {
    std::error_code error;
    if (!fs::exists(argument, error)) {
      set.skipped.push_back({argument, "does not exist"});
      continue;
    }
    if (!fs::is_directory(argument, error)) {
      set.skipped.push_back({argument, "not a directory"});
      continue;
    }
    const std::size_t found_before = candidates.size(), skipped_before = set.skipped.size();
    search(argument, 0, candidates, set.skipped);
    if (candidates.size() == found_before && set.skipped.size() == skipped_before) {
      set.skipped.push_back({argument, "no meta.json (and no run directory below it)"});
    }
  }
  std::set<fs::path> seen;
  std::map<std::pair<std::string, std::int64_t>, fs::path> by_arm_seed;
  for (const auto& dir : candidates) {
    std::error_code error;
    fs::path canonical = fs::weakly_canonical(dir, error);
    if (!seen.insert(error ? dir : canonical).second) continue;  // the same directory given twice
    try {
      LoadedRun run = load_run(dir);
      auto key = std::make_pair(run.arm, run.seed);
      auto [where, inserted] = by_arm_seed.emplace(key, dir);
      if (!inserted) {
        set.skipped.push_back({dir, "duplicate of arm '" + run.arm + "' seed " + std::to_string(run.seed) +
                                        " already read from " + where->second.string()});
        continue;
      }
      set.runs.push_back(std::move(run));
    } catch (const std::exception& error) {
      set.skipped.push_back({dir, error.what()});
    }
  }
  return set;
}

}  // namespace curvtrack::report
