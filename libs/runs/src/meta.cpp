#include "curvtrack/runs/meta.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>
#include <utility>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "json_fields.hpp"

namespace curvtrack::runs {
namespace {

const std::array<std::pair<RunStatus, std::string>, 5> kStatusNames = {{{RunStatus::kRunning, "running"},
                                                                        {RunStatus::kCompleted, "completed"},
                                                                        {RunStatus::kDiverged, "diverged"},
                                                                        {RunStatus::kFailed, "failed"},
                                                                        {RunStatus::kPreempted, "preempted"}}};

// The keys MetaRecord reads; anything else is kept in `other`.
const char* const kKnownKeys[] = {"status", "created", "started", "ended", "processes", "git_revision",
                                  "curvtrack_version", "libtorch", "threads", "device", "environment", "run",
                                  "total_steps", "schedule", "optimizer", "model", "data", "ranks", "lr_max_chosen",
                                  "lrfind_rule", "resumed_from_step", "checkpoint_step", "steps_done",
                                  "stop_reason", "error", "train_seconds", "probe_seconds", "probe_over_train",
                                  "step_graph_seconds"};

}  // namespace

const std::string& status_name(RunStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  throw std::invalid_argument("run status without a name");
}

std::optional<RunStatus> parse_status(const std::string& word) {
  for (const auto& [value, name] : kStatusNames) {
    if (name == word) return value;
  }
  return std::nullopt;
}

nlohmann::json MetaRecord::to_json() const {
  nlohmann::json out = other;
  if (status) out["status"] = status_name(*status);
  put(out, "created", created);
  put(out, "started", started);
  put(out, "ended", ended);
  if (processes > 0) out["processes"] = processes;
  put(out, "git_revision", git_revision);
  put(out, "curvtrack_version", curvtrack_version);
  put(out, "libtorch", libtorch);
  put(out, "threads", threads);
  put(out, "device", device);
  if (!environment.is_null()) out["environment"] = environment;
  if (run_name || run_seed) {
    out["run"] = nlohmann::json::object();
    put(out["run"], "name", run_name);
    put(out["run"], "seed", run_seed);
  }
  put(out, "total_steps", total_steps);
  put(out, "schedule", schedule);
  put(out, "optimizer", optimizer);
  if (model) out["model"] = {{"spec", model->spec}, {"parameters", model->parameters}};
  if (data) {
    out["data"] = {{"train", data->train}, {"train_examples", data->train_examples},
                   {"test_examples", data->test_examples}};
  }
  if (ranks) {
    out["ranks"] = {{"count", ranks->count}, {"backend", ranks->backend}, {"launcher", ranks->launcher},
                    {"split", ranks->split}};
  }
  put(out, "lr_max_chosen", lr_max_chosen);
  put(out, "lrfind_rule", lrfind_rule);
  put(out, "resumed_from_step", resumed_from_step);
  put(out, "checkpoint_step", checkpoint_step);
  put(out, "steps_done", steps_done);
  put(out, "stop_reason", stop_reason);
  put(out, "error", error);
  put(out, "train_seconds", train_seconds);
  put(out, "probe_seconds", probe_seconds);
  put(out, "probe_over_train", probe_over_train);
  put(out, "step_graph_seconds", step_graph_seconds);
  return out;
}

MetaRecord MetaRecord::from_json(const nlohmann::json& json, const std::string& where) {
  if (!json.is_object()) throw core::DataError(where + " is not a JSON object");
  FieldReader in(json, where);
  MetaRecord record;
  std::optional<std::string> status;
  in.read("status", status);
  if (status) {
    record.status = parse_status(*status);
    if (!record.status) {
      throw core::DataError(where + ": \"status\" is \"" + status->substr(0, 40) +
                            "\", not one of running, completed, diverged, failed, preempted");
    }
  }
  in.read("created", record.created);
  in.read("started", record.started);
  in.read("ended", record.ended);
  record.processes = in.value_or<std::int64_t>("processes", 0);
  in.read("git_revision", record.git_revision);
  in.read("curvtrack_version", record.curvtrack_version);
  in.read("libtorch", record.libtorch);
  in.read("threads", record.threads);
  in.read("device", record.device);
  if (json.contains("environment")) record.environment = json["environment"];
  if (auto run = in.object("run")) {
    run->read("name", record.run_name);
    run->read("seed", record.run_seed);
  }
  in.read("total_steps", record.total_steps);
  in.read("schedule", record.schedule);
  in.read("optimizer", record.optimizer);
  if (auto model = in.object("model")) {
    record.model = ModelInfo{model->value_or<std::string>("spec", ""), model->value_or<std::int64_t>("parameters", 0)};
  }
  if (auto data = in.object("data")) {
    record.data = DataInfo{data->value_or<std::string>("train", ""), data->value_or<std::int64_t>("train_examples", 0),
                           data->value_or<std::int64_t>("test_examples", 0)};
  }
  if (auto ranks = in.object("ranks")) {
    record.ranks = RanksInfo{ranks->value_or<int>("count", 1), ranks->value_or<std::string>("backend", ""),
                             ranks->value_or<std::string>("launcher", ""), ranks->value_or<std::string>("split", "")};
  }
  in.read("lr_max_chosen", record.lr_max_chosen);
  in.read("lrfind_rule", record.lrfind_rule);
  in.read("resumed_from_step", record.resumed_from_step);
  in.read("checkpoint_step", record.checkpoint_step);
  in.read("steps_done", record.steps_done);
  in.read("stop_reason", record.stop_reason);
  in.read("error", record.error);
  in.read("train_seconds", record.train_seconds);
  in.read("probe_seconds", record.probe_seconds);
  in.read("probe_over_train", record.probe_over_train);
  in.read("step_graph_seconds", record.step_graph_seconds);
  for (const auto& [key, value] : json.items()) {
    if (std::find(std::begin(kKnownKeys), std::end(kKnownKeys), key) == std::end(kKnownKeys)) record.other[key] = value;
  }
  return record;
}

RunMeta::RunMeta(std::filesystem::path path) : path_(std::move(path)) {
  if (!std::filesystem::exists(path_)) return;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(core::read_file(path_));
  } catch (const nlohmann::json::exception& error) {
    throw core::DataError(path_.string() + " is not valid JSON: " + error.what());
  }
  record_ = MetaRecord::from_json(json, path_.string());
}

void RunMeta::save() const { core::write_file_atomically(path_, record_.to_json().dump(2) + "\n"); }

nlohmann::json environment_info() {
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  nlohmann::json info = {{"host", host}, {"pid", ::getpid()}};
  for (const char* name : {"SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_PROCID",
                           "SLURM_NTASKS", "SLURM_RESTART_COUNT"}) {
    if (const char* value = std::getenv(name)) info[name] = value;
  }
  return info;
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace curvtrack::runs
