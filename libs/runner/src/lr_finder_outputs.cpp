#include "curvtrack/runner/lr_finder_outputs.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/core/shell.hpp"
#include "curvtrack/core/text.hpp"
#include "curvtrack/data/probe.hpp"
#include "curvtrack/data/sampler.hpp"
#include "curvtrack/schedules/schedule.hpp"
#include "curvtrack/runner/prepared_run.hpp"

namespace fs = std::filesystem;

namespace curvtrack::runner {
namespace {

constexpr const char* kSmithRule =
    "largest lr still improving before the curve turns: where the 5-point (3-point under 20 points) moving "
    "average last enters the "
    "noise band (one point's noise, from second differences) below its best value (docs/methods.md 1.5)";
constexpr const char* kStopRule = "stop when the debiased smoothed loss exceeds stop_factor x its best value, or is not finite";
// Momentum at step 0 does not depend on the length of a schedule; any valid length will do.
constexpr std::int64_t kPlaceholderSteps = 1000000;

std::string short_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

// validation_examples: how many held-out training images judged the row's accuracy (0: none).
std::string csv_text(const LrFinderRecord& record) {
  const std::int64_t judges = record.context.value("/judged_on/examples"_json_pointer, std::int64_t{0});
  std::string text = "iteration,lr,loss,smoothed,validation_accuracy,validation_examples\n";
  for (const auto& point : record.result.curve) {
    text += std::to_string(point.iteration) + "," + exact_number(point.lr) + "," + exact_number(point.loss) + "," +
            exact_number(point.smoothed) + "," + exact_number(point.accuracy) + "," +
            std::to_string(std::isfinite(point.accuracy) ? judges : 0) + "\n";
  }
  return text;
}

// null for NaN, as nlohmann writes it.
nlohmann::json lr_or_null(double lr) { return std::isfinite(lr) ? nlohmann::json(lr) : nlohmann::json(nullptr); }

nlohmann::json json_document(const LrFinderRecord& record) {
  const train::LrFinderOptions& options = record.options;
  const train::LrFinderResult& result = record.result;
  nlohmann::json settings = {{"mode", options.mode},
                             {"start", options.start},
                             {"end", options.end},
                             {"num_it", options.num_it},
                             {"beta", options.beta},
                             {"stop_factor", options.stop_factor},
                             {"stop_rule", kStopRule},
                             {"momentum", options.momentum}};
  if (options.mode == "linear") {
    settings["linear_epochs"] = options.linear_epochs;
  }
  nlohmann::json document = {
      {"mode", result.mode},
      {"settings", settings},
      {"iterations", result.curve.size()},
      {"stopped_early", result.stopped_early},
      {"stop_reason", result.stop_reason},
      {"suggestions",
       {{"smith", lr_or_null(result.suggestions.smith)},
        {"minimum", lr_or_null(result.suggestions.minimum)},
        {"steep", lr_or_null(result.suggestions.steep)},
        {"valley", lr_or_null(result.suggestions.valley)}}},
      {"suggestion_rules",
       {{"smith", kSmithRule},
        {"minimum", "lr at the lowest smoothed loss / 10"},
        {"steep", "lr at the most negative d loss / d log10 lr"},
        {"valley", "middle of the longest descending stretch (fastai)"}}},
      {"rule", result.rule},
      {"chosen", lr_or_null(result.chosen)},
      {"curve", kLrFinderCsv}};
  if (!result.chosen_note.empty()) document["chosen_note"] = result.chosen_note;
  if (!result.suggestions.smith_note.empty()) document["smith_note"] = result.suggestions.smith_note;
  if (result.mode == "linear") {
    document["validation_accuracy"] = {{"smith", lr_or_null(result.accuracy_smith.lr)},
                                       {"peak", lr_or_null(result.accuracy_peak)},
                                       {"smith_rule", std::string(kSmithRule) + ", on the validation accuracy (lr linear)"},
                                       {"peak_rule", "lr at the highest validation accuracy"}};
    if (!result.accuracy_smith.note.empty()) document["validation_accuracy"]["smith_note"] = result.accuracy_smith.note;
    document["suggestions_judge"] = "smith on the validation accuracy; minimum, steep, valley on the smoothed loss";
  }
  for (const auto& [key, value] : record.context.items()) document[key] = value;
  return document;
}

// Upper end of the y axis: the curve without the divergence at its end.
double plot_top(const train::LrFinderResult& result) {
  const auto& curve = result.curve;
  std::size_t kept = curve.size() > 10 ? curve.size() - 5 : curve.size();
  double top = -INFINITY;
  for (std::size_t i = 0; i < kept; ++i) {
    if (std::isfinite(curve[i].smoothed)) top = std::max(top, curve[i].smoothed);
  }
  return std::isfinite(top) ? 1.1 * top : 1.0;
}

std::string gnuplot_script(const LrFinderRecord& record) {
  const train::LrFinderResult& result = record.result;
  std::ostringstream gp;
  gp << "# LR range test (curvtrack lrfind): smoothed training loss against the learning rate, with the\n"
     << "# suggestions marked. Regenerate the figures in this folder with: gnuplot lrfind.gp\n"
     << "set datafile separator ','\n"
     << "set datafile missing 'nan'\n"
     << (result.mode == "linear" ? "" : "set logscale x\nset format x '%.0e'\n")
     << "set xlabel 'learning rate'\n"
     << "set ylabel 'training loss (smoothed, debiased)'\n"
     << "set yrange [*:" << exact_number(plot_top(result)) << "]\n"
     << "set grid\n"
     << "set key below\n"
     << "set title \"LR range test (" << result.mode << "): " << result.rule << " -> "
     << short_number(result.chosen) << "\" noenhanced\n";
  struct Mark {
    const char* name;
    double lr;
    const char* color;
  };
  const bool linear = result.mode == "linear";
  std::vector<Mark> marks = {{linear ? "smith (loss)" : "smith", result.suggestions.smith, "#e6ab02"},
                             {"minimum/10", result.suggestions.minimum, "#1b9e77"},
                             {"steep", result.suggestions.steep, "#d95f02"},
                             {"valley", result.suggestions.valley, "#7570b3"}};
  if (linear) {
    marks.push_back({"smith (accuracy)", result.accuracy_smith.lr, "#a6761d"});
    marks.push_back({"accuracy peak", result.accuracy_peak, "#e7298a"});
  }
  double label_height = 0.95;
  bool chosen_marked = false;
  for (const auto& mark : marks) {
    if (!std::isfinite(mark.lr)) continue;
    bool chosen = mark.lr == result.chosen && !chosen_marked;
    chosen_marked = chosen_marked || chosen;
    gp << "set arrow from " << exact_number(mark.lr) << ", graph 0 to " << exact_number(mark.lr)
       << ", graph 1 nohead dt " << (chosen ? 1 : 2) << " lw " << (chosen ? 2 : 1) << " lc rgb '" << mark.color
       << "'\n"
       << "set label \"" << mark.name << " " << short_number(mark.lr) << (chosen ? " (chosen)" : "") << "\" at "
       << exact_number(mark.lr) << ", graph " << label_height << " offset 0.5,0 tc rgb '" << mark.color
       << "' noenhanced\n";
    label_height -= 0.06;
  }
  std::string plot = "plot 'lrfind.csv' using 2:3 skip 1 with points pt 7 ps 0.3 lc rgb '#bbbbbb' title 'batch loss', \\\n"
                     "     '' using 2:4 skip 1 with lines lw 2 lc rgb '#222222' title 'smoothed loss'";
  if (result.mode == "linear") {
    gp << "set y2label 'validation accuracy (held-out training images)'\nset y2tics\nset ytics nomirror\n";
    plot += ", \\\n     '' using 2:5 skip 1 axes x1y2 with linespoints pt 6 lc rgb '#e7298a' title 'validation accuracy'";
  }
  gp << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size 900,600 } else { set terminal png size 900,600 }\n"
     << "set output 'lrfind.png'\n"
     << plot << "\n"
     << "set terminal svg size 900,600 dynamic\n"
     << "set output 'lrfind.svg'\n"
     << "replot\n"
     << "set output\n";
  return gp.str();
}

}  // namespace

std::string exact_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

train::LrFinderOptions lr_finder_options(schedules::ScheduleKeys keys) {
  train::LrFinderOptions options;
  if (keys.count("policy") == 0) return options;
  // Only the momentum matters here; an lr_max still to be found gets a stand-in.
  auto lr_max = keys.find("lr_max");
  if (keys["policy"] == "onecycle" && (lr_max == keys.end() || lr_max->second == "auto")) keys["lr_max"] = "1";
  std::unique_ptr<schedules::Schedule> schedule = schedules::make_schedule(keys, kPlaceholderSteps);
  if (auto momentum = schedule->at(0).momentum) options.momentum = *momentum;
  return options;
}

ValidationSplit validation_split(std::int64_t size, std::int64_t count, std::uint64_t seed) {
  if (!(count > 0 && count < size)) {
    throw core::UsageError("train.lrfind_validation = " + std::to_string(count) +
                           " must be > 0 and < the " + std::to_string(size) +
                           " training images (the linear range test holds them out and trains on the rest)");
  }
  std::vector<std::int64_t> order = data::epoch_order(size, seed ^ kValidationSalt, 0);
  ValidationSplit split;
  split.validation.assign(order.begin(), order.begin() + count);
  split.rest.assign(order.begin() + count, order.end());
  std::sort(split.validation.begin(), split.validation.end());
  std::sort(split.rest.begin(), split.rest.end());
  return split;
}

LrFinderRecord run_lr_finder_for(const PreparedRun& prepared, RunResources& resources,
                                 train::LrFinderOptions options, const std::string& rule) {
  try {
    options.check();
    schedules::suggestion_by_rule({}, rule);
  } catch (const std::invalid_argument& error) {
    throw core::UsageError(error.what());
  }
  const train::TrainerOptions& trainer = resources.trainer;
  options.loss = trainer.loss;
  const data::Dataset* sweep = &resources.train;
  data::Dataset rest, validation;
  nlohmann::json judged = {{"split", "none"},
                           {"examples", 0},
                           {"what", "the smoothed training loss of the sweep's own batches"}};
  if (options.mode == "linear") {
    std::int64_t count = prepared.options.train.lrfind_validation;
    ValidationSplit split = validation_split(resources.train.images.size(0), count, trainer.data_seed);
    rest = data::subset(resources.train, split.rest);
    validation = data::subset(resources.train, split.validation);
    sweep = &rest;
    options.eval_examples = 0;  // every held-out image judges
    judged = {{"split", "validation"},
              {"examples", count},
              {"what", "accuracy on training images held out from the sweep (train.lrfind_validation, seeded by "
                       "run.seed); the test split is not used"}};
  }
  LrFinderRecord record;
  record.options = options;
  record.context = {
      {"model", {{"spec", resources.network->describe()}, {"parameters", models::parameter_count(*resources.network)},
                 {"dtype", runner::precision_names().name(prepared.options.model.dtype)}}},
      {"data", {{"dataset", prepared.options.data.dataset}, {"train", resources.train.source},
                {"train_examples", resources.train.images.size(0)}, {"sweep_examples", sweep->images.size(0)},
                {"batch_size", trainer.batches.batch_size}, {"drop_last", trainer.batches.drop_last},
                {"augment", runner::augment_names().name(prepared.options.data.augment)}}},
      {"judged_on", judged},
      {"optimizer", resources.optimizer->describe()},
      {"seed", trainer.data_seed},
      {"device", resources.device},
      {"config", prepared.config.to_ini()}};
  record.result = train::run_lr_finder(*resources.network, *resources.optimizer, *sweep, validation,
                                       trainer.batches, trainer.augmentation, trainer.data_seed, options, rule);
  return record;
}

std::vector<std::string> write_lr_finder_outputs(const fs::path& dir, const LrFinderRecord& record) {
  core::write_file_atomically(dir / kLrFinderCsv, csv_text(record));
  core::write_file_atomically(dir / kLrFinderJson, json_document(record).dump(2) + "\n");
  core::write_file_atomically(dir / "lrfind.gp", gnuplot_script(record));
  // Stale figures from an earlier sweep would contradict the new curve.
  std::error_code ignored;
  fs::remove(dir / "lrfind.png", ignored);
  fs::remove(dir / "lrfind.svg", ignored);
  if (!core::on_path("gnuplot")) {
    return {"gnuplot not found: wrote " + (dir / "lrfind.gp").string() + " without rendering it"};
  }
  if (auto warning = core::run_gnuplot(dir, "lrfind.gp", {"lrfind.png", "lrfind.svg"})) return {*warning};
  return {};
}

std::string lr_finder_summary(const LrFinderRecord& record) {
  const train::LrFinderResult& result = record.result;
  const train::LrFinderOptions& options = record.options;
  std::string text = "lrfind: " + result.mode + " sweep " + short_number(options.start) + " -> " +
                     short_number(options.end) + ", " + std::to_string(result.curve.size()) + " iterations, " +
                     (result.stopped_early ? "stopped early: " : "") + result.stop_reason + "\n";
  if (std::isnan(result.suggestions.minimum)) {
    text += "lrfind: too few points before the stop for suggestions\n";
  } else {
    text += std::string("lrfind: suggestions") + (result.mode == "linear" ? " on the smoothed loss:" : "") +
            " smith " + short_number(result.suggestions.smith) + ", minimum " + short_number(result.suggestions.minimum) +
            ", steep " + short_number(result.suggestions.steep) + ", valley " +
            short_number(result.suggestions.valley) + "\n";
  }
  if (result.mode == "linear") {
    const nlohmann::json& judged = record.context["judged_on"];
    text += "lrfind: on the validation accuracy (" + judged["examples"].dump() +
            " held-out training images): smith " + short_number(result.accuracy_smith.lr) + ", peak " +
            short_number(result.accuracy_peak) + "\n";
  }
  text += "lrfind: chosen (" + result.rule + ") " + short_number(result.chosen) +
          (result.chosen_note.empty() ? "" : ": " + result.chosen_note) + "\n";
  return text;
}

double recorded_lr_choice(const fs::path& json_file, const std::string& rule) {
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(core::read_file(json_file));
  } catch (const nlohmann::json::exception& error) {
    throw core::DataError(json_file.string() + " is not valid JSON: " + error.what());
  }
  if (!document.is_object()) throw core::DataError(json_file.string() + " is not a JSON object");
  auto text_field = [&](const char* key) {
    return document.contains(key) && document[key].is_string() ? document[key].get<std::string>() : std::string();
  };
  std::string mode = text_field("mode");
  std::string recorded_rule = text_field("rule");
  if (mode != "exp" || recorded_rule != rule) {
    throw core::DataError(json_file.string() + " records a " + mode + " sweep chosen by rule '" + recorded_rule +
                          "', but the run asks for an exp sweep with rule '" + rule + "'");
  }
  const nlohmann::json& chosen = document["chosen"];
  if (!chosen.is_number() || !std::isfinite(chosen.get<double>()) || !(chosen.get<double>() > 0)) {
    throw core::DataError(json_file.string() + " holds no usable chosen learning rate");
  }
  return chosen.get<double>();
}

}  // namespace curvtrack::runner
