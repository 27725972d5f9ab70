#include "curvtrack/report/study_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/ini.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/schedules/schedule.hpp"
#include "format.hpp"

namespace fs = std::filesystem;

namespace curvtrack::report {
namespace {

const std::vector<std::string>& analysis_keys() {
  static const std::vector<std::string> keys = {
      "primary",       "smallest_effect", "alpha",       "power",      "resamples",        "permutations", "seed",
      "accuracy",      "model_arms",      "onecycle_arms", "weight_decay_arms", "end_records", "normalised_blocks",
      "not_trained_loss"};
  return keys;
}

std::vector<std::string> list_value(const std::string& text) {
  std::vector<std::string> out;
  for (const std::string& item : core::split(text, ',')) {
    std::string trimmed = core::trim(item);
    if (!trimmed.empty()) out.push_back(trimmed);
  }
  return out;
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// The last record of a records file (curvature.jsonl format); nullopt when it has none.
std::optional<runs::CurvatureRecord> last_record(const fs::path& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!core::trim(line).empty()) last = line;
  }
  if (last.empty()) return std::nullopt;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(last);
  } catch (const std::exception&) {
    throw core::DataError(path.string() + ": the last line is not a JSON object");
  }
  return runs::CurvatureRecord::from_json(json, path.string());
}

void put(std::map<std::string, double>& measures, const std::string& name, std::optional<double> value) {
  if (value && std::isfinite(*value)) measures[name] = *value;
}

// The measures of one end record (see analysis_rows), and their error estimates in `audit`.
void end_measures(const runs::CurvatureRecord& record, const AnalysisSpec& spec, std::map<std::string, double>& out,
                  std::map<std::string, double>& audit) {
  if (record.top && !record.top->values.empty()) {
    put(out, "lambda_max", record.top->values.front());
    if (!record.top->relative_residuals.empty()) {
      put(audit, "lambda_max relative residual", record.top->relative_residuals.front());
    }
    put(audit, "top converged", record.top->converged ? 1.0 : 0.0);
    put(audit, "top hvps", static_cast<double>(record.top->hvps));
  }
  if (record.trace) {
    put(out, "trace", record.trace->value);
    put(audit, "trace standard error", record.trace->standard_error);
    put(audit, "trace hvps", static_cast<double>(record.trace->hvps));
  }
  if (record.train_probe) put(audit, "probe examples", static_cast<double>(record.train_probe->examples));
  if (record.test_probe) put(audit, "test examples", static_cast<double>(record.test_probe->examples));
  if (!record.blocks.empty()) {
    double normalised = 0, other = 0;
    bool complete = true;
    for (const auto& [name, block] : record.blocks) {
      if (!block.trace) {
        complete = false;
        continue;
      }
      put(audit, "block " + name + " trace standard error", block.trace->standard_error);
      put(audit, "block " + name + " weight norm", block.weight_norm);
      if (contains(spec.normalised_blocks, name)) {
        normalised += block.trace->value * block.weight_norm * block.weight_norm;
      } else {
        other += block.trace->value;
      }
    }
    bool all_named = std::all_of(spec.normalised_blocks.begin(), spec.normalised_blocks.end(),
                                 [&](const std::string& name) { return record.blocks.count(name) != 0U; });
    if (complete && all_named && !spec.normalised_blocks.empty()) {
      put(out, "normalised trace", normalised);
      put(out, "other-block trace", other);
    }
  }
  if (record.adaptive_sharpness) {
    put(out, "adaptive sharpness rho " + fmt(record.adaptive_sharpness->rho), record.adaptive_sharpness->sharpness);
  }
  if (record.epsilon_sharpness) put(out, "epsilon sharpness", record.epsilon_sharpness->sharpness);
  put(out, "gradient norm", record.gradient_norm);
  if (record.weight_norm) put(out, "weight norm", record.weight_norm->global);
  if (record.test_probe) {
    put(out, "test accuracy", record.test_probe->accuracy);
    put(out, "test loss", record.test_probe->loss);
  }
}

// "train loss" and "train accuracy" from the run's last measured probe.
void fit_measures(const LoadedRun& run, std::map<std::string, double>& out) {
  const runs::CurvatureRecord* last = nullptr;
  for (const auto& record : run.curvature) {
    if (record.measured()) last = &record;
  }
  if (last == nullptr) return;
  const std::optional<runs::SetLoss>& set = test_probe_on_training_split(run) ? last->test_probe : last->train_probe;
  if (!set) return;
  put(out, "train loss", set->loss);
  put(out, "train accuracy", set->accuracy);
}

}  // namespace

AnalysisSpec read_analysis_spec(const fs::path& study_file) {
  const std::string file = study_file.string();
  const core::IniDocument ini = core::parse_ini(core::read_ini_file(study_file, "study file"), file);
  AnalysisSpec spec;
  bool found = false;
  for (const core::IniSection& section : ini.sections) found = found || section.name == "analysis";
  if (!found) throw core::UsageError(file + ": no [analysis] section (the pre-registered plan; methods §4.9)");
  for (const core::IniEntry& entry : ini.entries) {
    if (entry.section != "analysis") continue;
    const std::string where = file + ":" + std::to_string(entry.line) + ": [analysis] " + entry.key;
    if (!contains(analysis_keys(), entry.key)) {
      throw core::UsageError(file + ":" + std::to_string(entry.line) + ": unknown key '" + entry.key +
                             "' in [analysis]; did you mean '" + core::nearest(entry.key, analysis_keys()) + "'?");
    }
    const std::string& value = entry.value;
    AnalysisPlan& plan = spec.plan;
    if (entry.key == "primary") plan.primary = list_value(value);
    if (entry.key == "smallest_effect") plan.smallest_effect = core::parse_double(value, where);
    if (entry.key == "alpha") plan.alpha = core::parse_double(value, where);
    if (entry.key == "power") plan.power = core::parse_double(value, where);
    if (entry.key == "resamples") plan.resamples = static_cast<int>(core::parse_int(value, where));
    if (entry.key == "permutations") plan.permutations = static_cast<int>(core::parse_int(value, where));
    if (entry.key == "seed") plan.seed = static_cast<std::uint64_t>(core::parse_int(value, where));
    if (entry.key == "accuracy") plan.accuracy = core::trim(value);
    if (entry.key == "model_arms") spec.model_arms = list_value(value);
    if (entry.key == "onecycle_arms") spec.onecycle_arms = list_value(value);
    if (entry.key == "weight_decay_arms") spec.weight_decay_arms = list_value(value);
    if (entry.key == "end_records") spec.end_records = list_value(value);
    if (entry.key == "normalised_blocks") spec.normalised_blocks = list_value(value);
    if (entry.key == "not_trained_loss") {
      spec.not_trained_loss = core::parse_double(value, where);
      if (!(*spec.not_trained_loss > 0)) throw core::UsageError(where + " must be a loss > 0, got '" + value + "'");
    }
  }
  try {
    spec.plan.check();
  } catch (const std::invalid_argument& error) {
    throw core::UsageError(file + ": [analysis] " + error.what());
  }
  if (spec.onecycle_arms.empty()) throw core::UsageError(file + ": [analysis] onecycle_arms names no arm");
  if (spec.end_records.empty()) throw core::UsageError(file + ": [analysis] end_records names no file");
  return spec;
}

double mean_effective_lr(const LoadedRun& run) {
  schedules::ScheduleKeys keys;
  for (const auto& [key, value] : run.config) {
    if (key.rfind("schedule.", 0) == 0 && !core::trim(value).empty()) keys[key.substr(9)] = core::trim(value);
  }
  if (run.total_steps <= 0) throw core::DataError(run.dir.string() + ": total steps unknown (meta.json total_steps)");
  std::unique_ptr<schedules::Schedule> schedule;
  try {
    schedule = schedules::make_schedule(keys, run.total_steps);
  } catch (const std::exception& error) {
    throw core::DataError(run.dir.string() + ": config.ini [schedule] cannot be rebuilt: " + error.what());
  }
  double sum = 0;
  for (std::int64_t step = 0; step < run.total_steps; ++step) {
    const schedules::ScheduleValue value = schedule->at(step);
    sum += value.lr / (1.0 - value.momentum.value_or(0.0));
  }
  return sum / static_cast<double>(run.total_steps);
}

std::vector<AnalysisRow> analysis_rows(const std::vector<LoadedRun>& runs, const AnalysisSpec& spec,
                                       std::vector<std::string>* notes) {
  auto note = [&](const std::string& text) {
    if (notes != nullptr) notes->push_back(text);
  };
  std::vector<AnalysisRow> rows;
  for (const LoadedRun& run : runs) {
    if (run.status != "completed" || !run.damage.empty()) {
      note(run.dir.string() + ": " + run.status + (run.damage.empty() ? "" : ", damaged") + "; not analysed");
      continue;
    }
    AnalysisRow row;
    row.arm = run.arm;
    row.seed = run.seed;
    row.onecycle = contains(spec.onecycle_arms, run.arm);
    row.weight_decay = contains(spec.weight_decay_arms, run.arm);
    row.in_model = spec.model_arms.empty() || contains(spec.model_arms, run.arm);
    row.mean_effective_lr = mean_effective_lr(run);
    for (const std::string& file : spec.end_records) {
      const fs::path path = run.dir / file;
      if (!fs::exists(path)) {
        note(path.string() + ": missing; its measures are left out for this run");
        continue;
      }
      std::optional<runs::CurvatureRecord> record = last_record(path);
      if (!record) {
        note(path.string() + ": no record; its measures are left out for this run");
        continue;
      }
      end_measures(*record, spec, row.measures, row.audit);
    }
    fit_measures(run, row.measures);
    auto train_loss = row.measures.find("train loss");
    if (spec.not_trained_loss && train_loss != row.measures.end()) {
      row.trained = train_loss->second < *spec.not_trained_loss;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string analysis_rows_csv(const std::vector<AnalysisRow>& rows) {
  using Column = std::map<std::string, double> AnalysisRow::*;
  auto names_of = [&](Column column) {
    std::vector<std::string> names;
    for (const AnalysisRow& row : rows) {
      for (const auto& [name, value] : row.*column) {
        if (!contains(names, name)) names.push_back(name);
      }
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::vector<std::pair<Column, std::vector<std::string>>> columns = {
      {&AnalysisRow::measures, names_of(&AnalysisRow::measures)}, {&AnalysisRow::audit, names_of(&AnalysisRow::audit)}};
  std::ostringstream out;
  out.precision(17);
  out << "arm,seed,onecycle,weight_decay,in_model,trained,mean_effective_lr";
  for (const auto& [column, names] : columns) {
    for (const std::string& name : names) out << "," << name;
  }
  out << "\n";
  for (const AnalysisRow& row : rows) {
    out << row.arm << "," << row.seed << "," << row.onecycle << "," << row.weight_decay << "," << row.in_model << ","
        << row.trained << "," << row.mean_effective_lr;
    for (const auto& [column, names] : columns) {
      for (const std::string& name : names) {
        out << ",";
        auto found = (row.*column).find(name);
        if (found != (row.*column).end()) out << found->second;
      }
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace curvtrack::report
