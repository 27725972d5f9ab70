#include "curvtrack/report/report_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "curvtrack/core/atomic_file.hpp"
#include "curvtrack/core/errors.hpp"
#include "curvtrack/report/figures.hpp"

namespace fs = std::filesystem;

namespace curvtrack::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------- formatting

std::string fmt(double value, int digits = 4) {
  if (std::isnan(value)) return "n/a";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char text[48];
  std::snprintf(text, sizeof text, "%.*g", digits, value);
  return text;
}

std::string fmt_p(double p) {
  if (std::isnan(p)) return "n/a";
  if (p < 1e-4) return "<0.0001";
  return fmt(p, 2);
}

std::string mean_sd(const Summary& s) {
  if (s.n == 0) return "n/a";
  if (s.n == 1) return fmt(s.mean);
  return fmt(s.mean) + " ± " + fmt(s.sd, 2);
}

std::string csv_number(double value) {
  if (std::isnan(value)) return "";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char text[48];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_text(const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) out += (i > 0 ? "," : "") + csv_field(row[i]);
    out += "\n";
  }
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string md_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

// ---------------------------------------------------------------- document model

// One block of the report, rendered the same way to Markdown and to HTML.
struct Block {
  enum class Kind { kHeading, kParagraph, kList, kTable, kFigure } kind;
  int level = 0;                               // heading level
  std::string text;                            // heading, paragraph, figure caption
  std::vector<std::string> items;              // list items
  std::vector<std::vector<std::string>> rows;  // table, rows[0] the header
  std::string figure;                          // figure file stem
  bool rendered = false;                       // figure has an SVG
};

class Document {
 public:
  void heading(int level, std::string text) { blocks_.push_back({Block::Kind::kHeading, level, std::move(text), {}, {}, "", false}); }
  void paragraph(std::string text) { blocks_.push_back({Block::Kind::kParagraph, 0, std::move(text), {}, {}, "", false}); }
  void list(std::vector<std::string> items) {
    if (!items.empty()) blocks_.push_back({Block::Kind::kList, 0, "", std::move(items), {}, "", false});
  }
  void table(std::vector<std::vector<std::string>> rows) {
    blocks_.push_back({Block::Kind::kTable, 0, "", {}, std::move(rows), "", false});
  }
  void figure(std::string name, std::string caption, bool rendered) {
    blocks_.push_back({Block::Kind::kFigure, 0, std::move(caption), {}, {}, std::move(name), rendered});
  }
  const std::vector<Block>& blocks() const { return blocks_; }

 private:
  std::vector<Block> blocks_;
};

std::string to_markdown(const Document& document) {
  std::ostringstream md;
  for (const Block& block : document.blocks()) {
    switch (block.kind) {
      case Block::Kind::kHeading:
        md << std::string(static_cast<std::size_t>(block.level), '#') << " " << block.text << "\n\n";
        break;
      case Block::Kind::kParagraph:
        md << block.text << "\n\n";
        break;
      case Block::Kind::kList:
        for (const auto& item : block.items) md << "- " << item << "\n";
        md << "\n";
        break;
      case Block::Kind::kTable:
        for (std::size_t r = 0; r < block.rows.size(); ++r) {
          md << "|";
          for (const auto& cell : block.rows[r]) md << " " << md_cell(cell) << " |";
          md << "\n";
          if (r == 0) {
            md << "|";
            for (std::size_t c = 0; c < block.rows[0].size(); ++c) md << "---|";
            md << "\n";
          }
        }
        md << "\n";
        break;
      case Block::Kind::kFigure:
        if (block.rendered) {
          md << "![" << block.text << "](figures/" << block.figure << ".svg)\n\n";
        } else {
          md << "*(figure not rendered)*\n\n";
        }
        md << block.text << " Files: figures/" << block.figure << ".dat, figures/" << block.figure << ".gp"
           << (block.rendered ? ", figures/" + block.figure + ".png" : "") << ".\n\n";
        break;
    }
  }
  return md.str();
}

constexpr const char* kStyle = R"(body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0;font-size:90%}th,td{border:1px solid #bbb;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#eee}figure{margin:1.5em 0}figure .plot svg{width:100%;height:auto;max-width:900px}
figcaption{font-size:90%;color:#444}code{background:#f4f4f4})";

std::string to_html(const Document& document, const std::string& title, const fs::path& figures_dir) {
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << html_escape(title)
       << "</title>\n<style>\n" << kStyle << "\n</style>\n</head>\n<body>\n";
  for (const Block& block : document.blocks()) {
    switch (block.kind) {
      case Block::Kind::kHeading:
        html << "<h" << block.level << ">" << html_escape(block.text) << "</h" << block.level << ">\n";
        break;
      case Block::Kind::kParagraph:
        html << "<p>" << html_escape(block.text) << "</p>\n";
        break;
      case Block::Kind::kList:
        html << "<ul>\n";
        for (const auto& item : block.items) html << "<li>" << html_escape(item) << "</li>\n";
        html << "</ul>\n";
        break;
      case Block::Kind::kTable:
        html << "<table>\n";
        for (std::size_t r = 0; r < block.rows.size(); ++r) {
          html << "<tr>";
          for (const auto& cell : block.rows[r]) html << (r == 0 ? "<th>" : "<td>") << html_escape(cell) << (r == 0 ? "</th>" : "</td>");
          html << "</tr>\n";
        }
        html << "</table>\n";
        break;
      case Block::Kind::kFigure: {
        html << "<figure id=\"figure-" << html_escape(block.figure) << "\">\n";
        std::string svg;
        if (block.rendered) {
          try {
            svg = inline_svg(core::read_file(figures_dir / (block.figure + ".svg")), block.figure + "-");
          } catch (const std::exception&) {
            svg.clear();
          }
        }
        html << "<div class=\"plot\">" << (svg.empty() ? "<p><em>(figure not rendered)</em></p>" : svg) << "</div>\n";
        html << "<figcaption>" << html_escape(block.text) << " Files: <a href=\"figures/" << html_escape(block.figure)
             << ".dat\">data</a>, <a href=\"figures/" << html_escape(block.figure) << ".gp\">gnuplot script</a>";
        if (block.rendered) html << ", <a href=\"figures/" << html_escape(block.figure) << ".png\">PNG</a>";
        html << ".</figcaption>\n</figure>\n";
        break;
      }
    }
  }
  html << "</body>\n</html>\n";
  return html.str();
}

// ---------------------------------------------------------------- runs and arms

std::vector<std::string> ordered_arms(const std::vector<LoadedRun>& runs) {
  std::vector<std::string> arms;
  for (const auto& run : runs) {
    if (std::find(arms.begin(), arms.end(), run.arm) == arms.end()) arms.push_back(run.arm);
  }
  auto rank = [](const std::string& arm) { return arm == "constant" ? 0 : arm == "onecycle" ? 1 : 2; };
  std::sort(arms.begin(), arms.end(), [&](const std::string& x, const std::string& y) {
    return rank(x) != rank(y) ? rank(x) < rank(y) : x < y;
  });
  return arms;
}

std::vector<const LoadedRun*> sorted_runs(const std::vector<LoadedRun>& runs, const std::vector<std::string>& arms) {
  std::vector<const LoadedRun*> out;
  for (const auto& run : runs) out.push_back(&run);
  auto arm_index = [&](const std::string& arm) { return std::find(arms.begin(), arms.end(), arm) - arms.begin(); };
  std::sort(out.begin(), out.end(), [&](const LoadedRun* x, const LoadedRun* y) {
    return arm_index(x->arm) != arm_index(y->arm) ? arm_index(x->arm) < arm_index(y->arm) : x->seed < y->seed;
  });
  return out;
}

double last_metric(const LoadedRun& run, const char* column) {
  for (auto row = run.metrics.rbegin(); row != run.metrics.rend(); ++row) {
    auto cell = row->find(column);
    if (cell != row->end() && std::isfinite(cell->second)) return cell->second;
  }
  return kNaN;
}

std::string optional_text(const std::optional<double>& value) { return value ? fmt(*value, 6) : ""; }

const ProbeMeasures* end_of(const std::vector<ProbeMeasures>& probes) {
  for (const auto& probe : probes) {
    if (probe.label == "end") return &probe;
  }
  return probes.empty() ? nullptr : &probes.back();
}

// "a (10 runs)" or "a; b" when the runs of an arm disagree.
std::string distinct_values(const std::vector<const LoadedRun*>& runs, const std::function<std::string(const LoadedRun&)>& get) {
  std::map<std::string, int> counts;
  for (const LoadedRun* run : runs) {
    std::string value = get(*run);
    if (!value.empty()) ++counts[value];
  }
  if (counts.empty()) return "n/a";
  std::string out;
  for (const auto& [value, count] : counts) {
    if (!out.empty()) out += "; ";
    out += value + (counts.size() > 1 ? " (" + std::to_string(count) + " runs)" : "");
  }
  return out;
}

// ---------------------------------------------------------------- figures

using ProbeField = double ProbeMeasures::*;

Series probe_series(const std::vector<const LoadedRun*>& runs, const std::string& name, ProbeField field, int dash = 1,
                    bool seed_lines = true) {
  Series series;
  series.name = name;
  series.dash = dash;
  series.seed_lines = seed_lines;
  for (const LoadedRun* run : runs) {
    RunCurve curve{run->arm, run->seed, usable_for_comparison(*run), {}};
    for (const auto& probe : probe_trajectory(*run)) curve.points.emplace_back(probe.fraction, probe.*field);
    series.curves.push_back(std::move(curve));
  }
  return series;
}

Series metrics_series(const std::vector<const LoadedRun*>& runs, const std::string& name, const char* column,
                      int dash = 1, bool y2 = false, bool seed_lines = true) {
  Series series;
  series.name = name;
  series.dash = dash;
  series.y2 = y2;
  series.seed_lines = seed_lines;
  for (const LoadedRun* run : runs) {
    RunCurve curve{run->arm, run->seed, usable_for_comparison(*run), {}};
    for (const auto& row : run->metrics) {
      auto step = row.find("step");
      auto value = row.find(column);
      if (step == row.end() || value == row.end() || run->total_steps <= 0) continue;
      curve.points.emplace_back(step->second / static_cast<double>(run->total_steps), value->second);
    }
    series.curves.push_back(std::move(curve));
  }
  return series;
}

bool all_positive_wide(const Figure& figure) {
  double low = INFINITY, high = 0;
  for (const auto& series : figure.series) {
    for (const auto& curve : series.curves) {
      for (const auto& point : curve.points) {
        if (!std::isfinite(point.second)) continue;
        if (!(point.second > 0)) return false;
        low = std::min(low, point.second);
        high = std::max(high, point.second);
      }
    }
  }
  return std::isfinite(low) && high / low > 30;
}

Figure trajectory_figure(std::string name, std::string title, std::string caption, std::string y_label,
                         const std::vector<std::string>& arms, std::vector<Series> series) {
  Figure figure;
  figure.name = std::move(name);
  figure.title = std::move(title);
  figure.caption = std::move(caption);
  figure.x_label = "fraction of training (step / total steps)";
  figure.y_label = std::move(y_label);
  figure.arms = arms;
  figure.series = std::move(series);
  return figure;
}

std::vector<Figure> build_figures(const std::vector<const LoadedRun*>& runs, const std::vector<std::string>& arms,
                                  const std::string& compared) {
  std::vector<Figure> figures;
  const std::string band = " Per arm: mean over completed seeds (line) with the min-max band; each run faint.";
  {
    Figure f = trajectory_figure("lambda_max", "Largest Hessian eigenvalue λmax along training",
                                 "λmax (top Hessian eigenvalue on the probe set) against the fraction of training." + band,
                                 "λmax", arms, {probe_series(runs, "λmax", &ProbeMeasures::lambda_max)});
    f.log_y = all_positive_wide(f);
    figures.push_back(std::move(f));
  }
  {
    Figure f = trajectory_figure("trace", "Hessian trace along training",
                                 "Hutchinson/Hutch++ trace of the probe-set Hessian." + band, "trace", arms,
                                 {probe_series(runs, "trace", &ProbeMeasures::trace)});
    f.log_y = all_positive_wide(f);
    figures.push_back(std::move(f));
  }
  figures.push_back(trajectory_figure(
      "stability", "Stability ratio lr·λmax against the linear-stability limit",
      "lr·λmax (solid) and the limit 2(1+β) for heavy ball or (2+2β)/(1+2β) for Nesterov (dashed); edge of stability "
      "is where the two meet." + band,
      "lr · λmax", arms,
      {probe_series(runs, "lr·λmax", &ProbeMeasures::stability_ratio),
       probe_series(runs, "stability limit", &ProbeMeasures::stability_limit, 2, false)}));
  {
    Figure f = trajectory_figure("schedule", "Learning rate and momentum", "Learning rate (left axis, solid) and momentum "
                                 "(right axis, dashed) per logged step, from metrics.csv.", "learning rate", arms,
                                 {metrics_series(runs, "lr", "lr", 1, false, false),
                                  metrics_series(runs, "momentum", "momentum", 2, true, false)});
    f.y2_label = "momentum";
    figures.push_back(std::move(f));
  }
  {
    Figure f = trajectory_figure("loss", "Training and test loss",
                                 "Training loss of the logged batches (solid) and test loss at evaluations (dashed), from "
                                 "metrics.csv." + band, "loss", arms,
                                 {metrics_series(runs, "train loss", "train_loss"),
                                  metrics_series(runs, "test loss", "test_loss", 2)});
    f.log_y = all_positive_wide(f);
    figures.push_back(std::move(f));
  }
  figures.push_back(trajectory_figure("accuracy", "Training and test accuracy",
                                      "Training accuracy of the logged batches (solid) and test accuracy (dashed), from "
                                      "metrics.csv." + band, "accuracy", arms,
                                      {metrics_series(runs, "train accuracy", "train_accuracy"),
                                       metrics_series(runs, "test accuracy", "test_accuracy", 2)}));
  figures.push_back(trajectory_figure("weight_norm", "Weight norm", "Global L2 norm of the parameters, from metrics.csv." + band,
                                      "||w||", arms, {metrics_series(runs, "weight norm", "weight_norm")}));
  {
    Figure f = trajectory_figure("adaptive_sharpness", "Adaptive sharpness along training",
                                 "Adaptive sharpness max L(w+e) - L(w) over ||e/(|w|+η)|| <= ρ." + band, "adaptive sharpness",
                                 arms, {probe_series(runs, "adaptive sharpness", &ProbeMeasures::adaptive_sharpness)});
    if (has_points(f)) figures.push_back(std::move(f));
  }
  {
    Figure f = trajectory_figure("epsilon_sharpness", "ε-sharpness along training",
                                 "ε-sharpness as a percentage of 1 + L(w)." + band, "ε-sharpness (%)", arms,
                                 {probe_series(runs, "ε-sharpness", &ProbeMeasures::epsilon_sharpness)});
    if (has_points(f)) figures.push_back(std::move(f));
  }
  // Equal steps for the ESD at the peak: each seed's runs at the step of the compared arm's
  // "peak" probe (a constant schedule labels step 0 as its peak, which says nothing).
  std::map<std::int64_t, std::int64_t> peak_step;
  for (int pass = 0; pass < 2; ++pass) {
    for (const LoadedRun* run : runs) {
      if ((pass == 0) != (run->arm == compared) || peak_step.count(run->seed) != 0U) continue;
      for (const auto& r : run->curvature) {
        if (r.value("label", std::string()) == "peak" && r["step"].get<std::int64_t>() > 0) {
          peak_step[run->seed] = r["step"].get<std::int64_t>();
        }
      }
    }
  }
  for (const char* label : {"peak", "end"}) {
    Figure f;
    f.name = std::string("esd_") + label;
    f.title = std::string("Hessian spectral density at the ") + (label == std::string("end") ? "end" : "LR peak");
    f.caption = label == std::string("end")
                    ? "Gaussian-broadened SLQ density at the end probe (labelled end, else the last), one line per run."
                    : "Gaussian-broadened SLQ density at the step of the " + compared +
                          " LR peak of the same seed (equal steps; a run not probed there: its own peak probe), "
                          "one line per run.";
    f.x_label = "eigenvalue";
    f.y_label = "density";
    f.log_y = true;
    f.arms = arms;
    Series series;
    series.summary = false;
    for (const LoadedRun* run : runs) {
      const nlohmann::json* record = nullptr;
      auto step = peak_step.find(run->seed);
      for (const auto& r : run->curvature) {
        bool wanted = label == std::string("peak") && step != peak_step.end() ? r["step"].get<std::int64_t>() == step->second
                                                                              : r.value("label", std::string()) == label;
        if (wanted && r.contains("esd")) record = &r;
      }
      if (record == nullptr && label == std::string("end") && !run->curvature.empty() && run->curvature.back().contains("esd")) {
        record = &run->curvature.back();
      }
      if (record == nullptr) continue;
      const nlohmann::json& esd = (*record)["esd"];
      if (!esd.contains("grid") || !esd.contains("density") || !esd["grid"].is_array() || !esd["density"].is_array()) continue;
      RunCurve curve{run->arm, run->seed, true, {}};
      for (std::size_t i = 0; i < std::min(esd["grid"].size(), esd["density"].size()); ++i) {
        if (esd["grid"][i].is_number() && esd["density"][i].is_number()) {
          curve.points.emplace_back(esd["grid"][i].get<double>(), esd["density"][i].get<double>());
        }
      }
      series.curves.push_back(std::move(curve));
    }
    // The broadened density spans hundreds of decades in its tails; show six below the peak.
    double peak = 0;
    for (const auto& curve : series.curves) {
      for (const auto& point : curve.points) {
        if (std::isfinite(point.second)) peak = std::max(peak, point.second);
      }
    }
    if (peak > 0) f.y_min = peak * 1e-6;
    f.series.push_back(std::move(series));
    if (has_points(f)) figures.push_back(std::move(f));
  }
  {
    Figure f;
    f.name = "lrfind";
    f.title = "LR range test";
    f.caption = "Smoothed training loss against the learning rate in each run's LR range test (lrfind.csv).";
    f.x_label = "learning rate";
    f.y_label = "training loss (smoothed)";
    f.log_x = true;
    f.arms = arms;
    Series series;
    series.summary = false;
    for (const LoadedRun* run : runs) {
      RunCurve curve{run->arm, run->seed, true, {}};
      for (const auto& row : run->lrfind) {
        auto lr = row.find("lr");
        auto loss = row.find("smoothed");
        if (lr != row.end() && loss != row.end()) curve.points.emplace_back(lr->second, loss->second);
      }
      if (!curve.points.empty()) series.curves.push_back(std::move(curve));
    }
    f.series.push_back(std::move(series));
    if (has_points(f)) figures.push_back(std::move(f));
  }
  return figures;
}

// ---------------------------------------------------------------- tables

const std::vector<std::pair<const char*, ProbeField>>& probe_columns() {
  static const std::vector<std::pair<const char*, ProbeField>> columns = {
      {"lr", &ProbeMeasures::lr},
      {"momentum", &ProbeMeasures::momentum},
      {"lambda_max", &ProbeMeasures::lambda_max},
      {"trace", &ProbeMeasures::trace},
      {"adaptive_sharpness", &ProbeMeasures::adaptive_sharpness},
      {"epsilon_sharpness_percent", &ProbeMeasures::epsilon_sharpness},
      {"train_probe_loss", &ProbeMeasures::train_loss},
      {"train_probe_accuracy", &ProbeMeasures::train_accuracy},
      {"test_loss", &ProbeMeasures::test_loss},
      {"test_accuracy", &ProbeMeasures::test_accuracy},
      {"generalization_gap", &ProbeMeasures::generalization_gap},
      {"weight_norm", &ProbeMeasures::weight_norm},
      {"gradient_norm", &ProbeMeasures::gradient_norm},
      {"stability_ratio", &ProbeMeasures::stability_ratio},
      {"stability_limit", &ProbeMeasures::stability_limit},
  };
  return columns;
}

std::vector<std::string> probe_header(std::vector<std::string> leading) {
  for (const char* column : {"step", "fraction", "label"}) leading.push_back(column);
  for (const auto& column : probe_columns()) leading.push_back(column.first);
  return leading;
}

std::vector<std::string> probe_row(std::vector<std::string> leading, const ProbeMeasures& probe) {
  leading.push_back(std::to_string(probe.step));
  leading.push_back(csv_number(probe.fraction));
  leading.push_back(probe.label);
  for (const auto& column : probe_columns()) leading.push_back(csv_number(probe.*column.second));
  return leading;
}

// ---------------------------------------------------------------- output folder

// The staging folder is removed unless the report was moved into place.
class Staging {
 public:
  Staging(fs::path path, const fs::path& out) : path_(std::move(path)) {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
    std::error_code error;
    fs::create_directories(path_ / "figures", error);
    if (!error) fs::create_directories(path_ / "tables", error);
    if (error) {
      throw core::DataError("cannot write the report to " + out.string() + ": cannot create " + path_.string() + ": " +
                            error.message());
    }
  }
  ~Staging() {
    if (!committed_) {
      std::error_code ignored;
      fs::remove_all(path_, ignored);
    }
  }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  const fs::path& path() const { return path_; }
  void committed() { committed_ = true; }

 private:
  fs::path path_;
  bool committed_ = false;
};

// An existing output folder may be replaced only when it is empty or holds a report.
void check_replaceable(const fs::path& out) {
  std::error_code error;
  if (!fs::exists(out, error)) return;
  if (!fs::is_directory(out, error)) throw core::UsageError("--out " + out.string() + " exists and is not a folder");
  if (fs::is_empty(out, error) || fs::exists(out / "report.md", error)) return;
  throw core::UsageError("--out " + out.string() +
                         " exists and is neither empty nor a curvtrack report; refusing to replace it");
}

void move_into_place(const fs::path& staged, const fs::path& out) {
  check_replaceable(out);
  std::error_code error;
  fs::path old;
  if (fs::exists(out, error)) {
    old = out.parent_path() / ("." + out.filename().string() + ".old-" + std::to_string(::getpid()));
    fs::remove_all(old, error);
    fs::rename(out, old, error);
    if (error) throw core::DataError("cannot move the previous report " + out.string() + " aside: " + error.message());
  }
  fs::rename(staged, out, error);
  if (error) {
    std::error_code ignored;
    if (!old.empty()) fs::rename(old, out, ignored);
    throw core::DataError("cannot move the report into " + out.string() + ": " + error.message());
  }
  if (!old.empty()) fs::remove_all(old, error);
}

// ---------------------------------------------------------------- the report

struct Context {
  const ReportOptions& options;
  const std::vector<std::string>& arms;
  const std::vector<const LoadedRun*>& runs;
  const ReportResult& result;
};

std::vector<std::vector<std::string>> primary_rows(const ComparisonTable& table, const std::string& a, const std::string& b) {
  std::vector<std::vector<std::string>> rows = {{"measure", "n", a + " mean ± SD", b + " mean ± SD",
                                                 "mean log(" + b + "/" + a + ")", "t p", "Wilcoxon p", "Holm p",
                                                 "ratio " + b + "/" + a + " [95% CI]"}};
  for (const auto& c : table.primary) {
    rows.push_back({c.measure, std::to_string(c.n), mean_sd(c.b), mean_sd(c.a), fmt(c.mean_log_difference, 3),
                    fmt_p(c.t.p_value), fmt_p(c.wilcoxon.p_value), fmt_p(c.p_holm),
                    fmt(c.ratio, 3) + " [" + fmt(c.ratio_ci.low, 3) + ", " + fmt(c.ratio_ci.high, 3) + "]"});
  }
  return rows;
}

// compare() puts the compared arm in PairedComparison::a; the table shows the baseline first.
std::vector<std::vector<std::string>> covariate_rows(const ComparisonTable& table, const std::string& a, const std::string& b) {
  std::vector<std::vector<std::string>> rows = {
      {"measure", "n", a + " mean ± SD", b + " mean ± SD", "mean difference " + b + " - " + a, "t p", "Wilcoxon p"}};
  for (const auto& c : table.covariates) {
    rows.push_back({c.measure, std::to_string(c.n), mean_sd(c.a), mean_sd(c.b), fmt(c.mean_difference, 3),
                    fmt_p(c.t.p_value), fmt_p(c.wilcoxon.p_value)});
  }
  return rows;
}

std::string relevance_sentence(const Relevance& r) {
  std::string what = r.over == "runs" ? "across runs (both arms)" : "across seeds (log ratio vs difference)";
  if (std::isnan(r.tau.statistic)) {
    return r.measure + " vs " + r.against + " " + what + ": undefined (" + r.tau.method + ")";
  }
  return r.measure + " vs " + r.against + " " + what + ": Kendall tau-b = " + fmt(r.tau.statistic, 3) +
         ", p = " + fmt_p(r.tau.p_value) + ", n = " + std::to_string(r.tau.n);
}

Document build_document(const Context& context, const std::vector<Figure>& figures, const std::vector<bool>& rendered,
                        const std::vector<fs::path>& run_dirs) {
  const ReportOptions& options = context.options;
  const ReportResult& result = context.result;
  const std::string& a = result.baseline;
  const std::string& b = result.compared;
  Document doc;
  std::string title = options.title.empty()
                          ? (b.empty() ? std::string("Flatness report") : b + " vs " + a + ": flatness at equal budget")
                          : options.title;
  doc.heading(1, title);
  doc.paragraph("Written by curvtrack report on " + utc_now() + " from " + std::to_string(result.runs.size()) +
                " run(s); " + std::to_string(result.skipped.size()) + " directory(ies) skipped. Protocol: science.md "
                "section 4 (paired by seed, equal steps and batch size).");

  doc.heading(2, "Verdicts");
  if (result.tables.empty()) {
    doc.paragraph(context.arms.size() < 2 ? "Nothing to compare: the runs hold " + std::to_string(context.arms.size()) +
                                                " arm(s), two are needed."
                                          : "Nothing to compare.");
  } else {
    doc.paragraph("Hypothesis (Smith & Topin): " + b + " ends in flatter minima than " + a +
                  ". Primary test: within-seed log ratios at the end of training, paired t-test, Holm-adjusted across "
                  "the flatness measures at level " + fmt(options.alpha, 3) + "; at least " +
                  std::to_string(options.minimum_seeds) + " seeds for a claim.");
    doc.list(result.tables[0].verdicts);
    if (!result.tables[0].not_compared.empty()) doc.list(result.tables[0].not_compared);
    for (std::size_t t = 1; t < result.tables.size(); ++t) {
      if (result.tables[t].verdicts.empty()) continue;
      doc.paragraph("Secondary, " + result.tables[t].aligned.title + " (Holm within this alignment):");
      doc.list(result.tables[t].verdicts);
    }
    std::vector<std::string> relevance;
    for (const auto& r : result.tables[0].relevance) {
      if (r.over == "runs" && r.against == "test accuracy") relevance.push_back("Relevance: " + relevance_sentence(r));
    }
    doc.list(relevance);
  }

  doc.heading(2, "Settings");
  std::vector<std::string> settings;
  std::string given;
  for (const auto& dir : run_dirs) given += (given.empty() ? "" : ", ") + dir.string();
  settings.push_back("Run directories given: " + given);
  if (!b.empty()) {
    settings.push_back("Compared: " + b + " against the baseline " + a + "; ratios are " + b + "/" + a +
                       " (below 1: " + b + " flatter), differences " + b + " - " + a + ".");
  }
  settings.push_back("alpha = " + fmt(options.alpha, 3) + ", minimum seeds for a claim = " +
                     std::to_string(options.minimum_seeds) + ", bootstrap: " + std::to_string(kRatioCiResamples) +
                     " resamples of the seeds, " + fmt(100 * kRatioCiLevel, 3) + "% percentile interval, seed " +
                     std::to_string(options.bootstrap_seed) + ".");
  for (const auto& arm : context.arms) {
    std::vector<const LoadedRun*> of_arm;
    for (const LoadedRun* run : context.runs) {
      if (run->arm == arm) of_arm.push_back(run);
    }
    std::map<std::string, int> statuses;
    for (const LoadedRun* run : of_arm) ++statuses[run->status];
    std::string status_text;
    for (const auto& [status, count] : statuses) status_text += (status_text.empty() ? "" : ", ") + std::to_string(count) + " " + status;
    settings.push_back(
        "Arm " + arm + ": " + std::to_string(of_arm.size()) + " run(s) (" + status_text + "); schedule " +
        distinct_values(of_arm, [](const LoadedRun& r) { return r.meta.schedule.value_or(""); }) + "; optimizer " +
        distinct_values(of_arm, [](const LoadedRun& r) { return r.meta.optimizer.value_or(""); }) + "; model " +
        distinct_values(of_arm, [](const LoadedRun& r) { return r.meta.model ? r.meta.model->spec : ""; }) +
        "; total steps " +
        distinct_values(of_arm, [](const LoadedRun& r) { return r.total_steps > 0 ? std::to_string(r.total_steps) : ""; }) +
        "; batch size " +
        distinct_values(of_arm, [](const LoadedRun& r) {
          auto it = r.config.find("data.batch_size");
          return it == r.config.end() ? std::string() : it->second;
        }) +
        "; lr_max chosen by the LR finder " +
        distinct_values(of_arm, [](const LoadedRun& r) { return optional_text(r.meta.lr_max_chosen); }) + ".");
  }
  doc.list(settings);

  doc.heading(2, "Runs");
  doc.paragraph("Every run read, diverged and failed ones included; only completed runs with an end probe enter the "
                "paired comparisons.");
  std::vector<std::vector<std::string>> run_rows = {{"arm", "seed", "status", "steps", "λmax (end)", "trace (end)",
                                                     "train loss (end probe)", "test accuracy (final)",
                                                     "notes", "directory"}};
  for (const LoadedRun* run : context.runs) {
    auto probes = probe_trajectory(*run);
    const ProbeMeasures* end = end_of(probes);
    std::string steps = run->meta.steps_done ? std::to_string(*run->meta.steps_done) : "?";
    steps += "/" + (run->total_steps > 0 ? std::to_string(run->total_steps) : std::string("?"));
    std::string notes;
    auto add = [&](const std::string& note) { notes += (notes.empty() ? "" : "; ") + note; };
    if (!run->probing_stopped.empty()) add(run->probing_stopped);
    if (run->meta.stop_reason) add(*run->meta.stop_reason);
    if (run->meta.error) add(*run->meta.error);
    for (const auto& note : run->notes) add(note);
    std::string why;
    if (!usable_for_comparison(*run, &why)) add("not compared: " + why);
    bool show_end = end != nullptr && run->status == "completed";
    run_rows.push_back({run->arm, std::to_string(run->seed), run->status, steps,
                        show_end ? fmt(end->lambda_max) : "-", show_end ? fmt(end->trace) : "-",
                        show_end ? fmt(end->train_loss) : "-", fmt(last_metric(*run, "test_accuracy")), notes,
                        run->dir.string()});
  }
  doc.table(run_rows);
  if (!result.skipped.empty()) {
    doc.heading(3, "Skipped directories");
    std::vector<std::string> skipped;
    for (const auto& s : result.skipped) skipped.push_back("skipped: " + s.dir.string() + ": " + s.reason);
    doc.list(skipped);
  }

  for (const auto& table : result.tables) {
    doc.heading(2, "Comparison " + table.aligned.title);
    if (table.aligned.key == "equal_loss") {
      doc.paragraph("For each seed: the target is the larger of the two end-probe training losses; each run is taken at "
                    "its first probe with train-probe loss at or below the target.");
    }
    if (table.aligned.pairs.empty()) {
      doc.paragraph("No seed pairs for this comparison.");
    } else {
      doc.paragraph("Flatness measures (" + b + " against " + a + "; Holm across the measures of this table):");
      doc.table(primary_rows(table, a, b));
      doc.list(table.not_compared);
      doc.paragraph("Covariates (descriptive; paired tests on the raw differences):");
      doc.table(covariate_rows(table, a, b));
      std::vector<std::vector<std::string>> pair_rows = {{"seed", a + " step", b + " step", "target loss",
                                                          a + " train loss", b + " train loss"}};
      for (const auto& pair : table.aligned.pairs) {
        pair_rows.push_back({std::to_string(pair.seed), std::to_string(pair.a.step), std::to_string(pair.b.step),
                             fmt(pair.target_loss), fmt(pair.a.train_loss), fmt(pair.b.train_loss)});
      }
      doc.paragraph("Probes used:");
      doc.table(pair_rows);
      std::vector<std::string> relevance;
      for (const auto& r : table.relevance) relevance.push_back(relevance_sentence(r));
      doc.paragraph("Relevance (Kendall tau-b, two-sided p):");
      doc.list(relevance);
    }
    if (!table.aligned.excluded.empty()) {
      doc.paragraph("Seeds left out of this comparison:");
      doc.list(table.aligned.excluded);
    }
  }

  doc.heading(2, "Figures");
  if (figures.empty()) doc.paragraph("No figures: no run has data to draw.");
  for (std::size_t i = 0; i < figures.size(); ++i) doc.figure(figures[i].name, figures[i].caption, rendered[i]);

  doc.heading(2, "Files");
  doc.list({"tables/runs.csv: one row per run (status, end measures)",
            "tables/skipped.csv: directories not read, with reasons",
            "tables/end_measures.csv: every run's end-probe measures",
            "tables/comparison.csv: every comparison row (flatness and covariates, all alignments)",
            "tables/pairs.csv: the paired values behind each comparison, one row per seed, arm and measure",
            "tables/relevance.csv: Kendall taus",
            "tables/probe_trajectories.csv: every probe of every run",
            "tables/metrics_trajectories.csv: every metrics.csv row of every run",
            "figures/NAME.dat + NAME.gp: figure data and the gnuplot script that draws NAME.svg and NAME.png"});
  return doc;
}

void write_tables(const fs::path& dir, const ReportResult& result, const std::vector<const LoadedRun*>& runs) {
  const std::string& a = result.baseline;
  const std::string& b = result.compared;
  std::vector<std::vector<std::string>> rows = {{"arm", "seed", "status", "total_steps", "steps_done", "compared",
                                                 "not_compared_because", "final_test_loss", "final_test_accuracy",
                                                 "lr_max_chosen", "train_seconds", "probe_seconds", "directory"}};
  auto number = [](const auto& value) { return value ? csv_number(static_cast<double>(*value)) : std::string(); };
  for (const LoadedRun* run : runs) {
    std::string why;
    bool usable = usable_for_comparison(*run, &why);
    rows.push_back({run->arm, std::to_string(run->seed), run->status, std::to_string(run->total_steps),
                    number(run->meta.steps_done), usable ? "yes" : "no", why, csv_number(last_metric(*run, "test_loss")),
                    csv_number(last_metric(*run, "test_accuracy")), number(run->meta.lr_max_chosen),
                    number(run->meta.train_seconds), number(run->meta.probe_seconds), run->dir.string()});
  }
  core::write_file_atomically(dir / "runs.csv", csv_text(rows));

  rows = {{"directory", "reason"}};
  for (const auto& s : result.skipped) rows.push_back({s.dir.string(), s.reason});
  core::write_file_atomically(dir / "skipped.csv", csv_text(rows));

  rows = {probe_header({"arm", "seed", "status"})};
  std::vector<std::vector<std::string>> trajectory = {probe_header({"arm", "seed", "status"})};
  for (const LoadedRun* run : runs) {
    auto probes = probe_trajectory(*run);
    for (const auto& probe : probes) trajectory.push_back(probe_row({run->arm, std::to_string(run->seed), run->status}, probe));
    if (const ProbeMeasures* end = end_of(probes)) rows.push_back(probe_row({run->arm, std::to_string(run->seed), run->status}, *end));
  }
  core::write_file_atomically(dir / "end_measures.csv", csv_text(rows));
  core::write_file_atomically(dir / "probe_trajectories.csv", csv_text(trajectory));

  std::set<std::string> metric_columns;
  for (const LoadedRun* run : runs) {
    for (const auto& row : run->metrics) {
      for (const auto& cell : row) metric_columns.insert(cell.first);
    }
  }
  metric_columns.erase("step");
  std::vector<std::string> header = {"arm", "seed", "status", "step", "fraction"};
  header.insert(header.end(), metric_columns.begin(), metric_columns.end());
  rows = {header};
  for (const LoadedRun* run : runs) {
    for (const auto& row : run->metrics) {
      auto step = row.find("step");
      double s = step == row.end() ? kNaN : step->second;
      std::vector<std::string> line = {run->arm, std::to_string(run->seed), run->status, csv_number(s),
                                       csv_number(run->total_steps > 0 ? s / static_cast<double>(run->total_steps) : kNaN)};
      for (const auto& column : metric_columns) {
        auto cell = row.find(column);
        line.push_back(cell == row.end() ? "" : csv_number(cell->second));
      }
      rows.push_back(std::move(line));
    }
  }
  core::write_file_atomically(dir / "metrics_trajectories.csv", csv_text(rows));

  rows = {{"alignment", "measure", "kind", "n", "baseline", "baseline_mean", "baseline_sd", "compared", "compared_mean",
           "compared_sd", "mean_log_ratio", "mean_difference", "t_statistic", "t_p", "wilcoxon_statistic", "wilcoxon_p",
           "holm_p", "ratio", "ratio_ci_low", "ratio_ci_high", "verdict"}};
  std::vector<std::vector<std::string>> pairs = {{"alignment", "seed", "arm", "step", "label", "measure", "value"}};
  std::vector<std::vector<std::string>> relevance = {{"alignment", "measure", "against", "over", "n", "tau_b", "p", "method"}};
  for (const auto& table : result.tables) {
    const std::string& key = table.aligned.key;
    for (std::size_t i = 0; i < table.primary.size(); ++i) {
      const auto& c = table.primary[i];
      rows.push_back({key, c.measure, "flatness", std::to_string(c.n), a, csv_number(c.b.mean), csv_number(c.b.sd), b,
                      csv_number(c.a.mean), csv_number(c.a.sd), csv_number(c.mean_log_difference), "",
                      csv_number(c.t.statistic), csv_number(c.t.p_value), csv_number(c.wilcoxon.statistic),
                      csv_number(c.wilcoxon.p_value), csv_number(c.p_holm), csv_number(c.ratio),
                      csv_number(c.ratio_ci.low), csv_number(c.ratio_ci.high), table.verdicts[i]});
    }
    for (const auto& c : table.covariates) {
      rows.push_back({key, c.measure, "covariate", std::to_string(c.n), a, csv_number(c.a.mean), csv_number(c.a.sd), b,
                      csv_number(c.b.mean), csv_number(c.b.sd), "", csv_number(c.mean_difference),
                      csv_number(c.t.statistic), csv_number(c.t.p_value), csv_number(c.wilcoxon.statistic),
                      csv_number(c.wilcoxon.p_value), "", "", "", "", ""});
    }
    for (const auto& pair : table.aligned.pairs) {
      for (const auto& info : measure_catalog()) {
        pairs.push_back({key, std::to_string(pair.seed), a, std::to_string(pair.a.step), pair.a.label, info.key,
                         csv_number(pair.a.*info.field)});
        pairs.push_back({key, std::to_string(pair.seed), b, std::to_string(pair.b.step), pair.b.label, info.key,
                         csv_number(pair.b.*info.field)});
      }
    }
    for (const auto& r : table.relevance) {
      relevance.push_back({key, r.measure, r.against, r.over, std::to_string(r.tau.n), csv_number(r.tau.statistic),
                           csv_number(r.tau.p_value), r.tau.method});
    }
  }
  core::write_file_atomically(dir / "comparison.csv", csv_text(rows));
  core::write_file_atomically(dir / "pairs.csv", csv_text(pairs));
  core::write_file_atomically(dir / "relevance.csv", csv_text(relevance));
}

}  // namespace

void ReportOptions::check() const {
  if (out.empty()) throw std::invalid_argument("--out is required");
  if (!(alpha > 0 && alpha < 1)) throw std::invalid_argument("--alpha must be in (0, 1), got " + fmt(alpha));
  if (minimum_seeds < 2) throw std::invalid_argument("--min-seeds must be >= 2, got " + std::to_string(minimum_seeds));
  if (baseline.empty() != compared.empty()) throw std::invalid_argument("--compare needs two arms, A,B");
  if (!baseline.empty() && baseline == compared) throw std::invalid_argument("--compare needs two different arms");
}

std::pair<std::string, std::string> default_arms(std::vector<std::string> arms) {
  std::sort(arms.begin(), arms.end());
  arms.erase(std::unique(arms.begin(), arms.end()), arms.end());
  auto rank = [](const std::string& arm) { return arm == "constant" ? 0 : arm == "onecycle" ? 1 : 2; };
  std::stable_sort(arms.begin(), arms.end(), [&](const std::string& x, const std::string& y) { return rank(x) < rank(y); });
  if (arms.size() < 2) return {};
  return {arms[0], arms[1]};
}

ReportResult write_report(const std::vector<fs::path>& run_dirs, const ReportOptions& options) {
  options.check();
  fs::path out = fs::absolute(options.out).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();
  check_replaceable(out);

  ReportResult result;
  result.directory = out;
  RunSet set = load_runs(run_dirs);
  result.runs = std::move(set.runs);
  result.skipped = std::move(set.skipped);
  const std::vector<std::string> arms = ordered_arms(result.runs);
  if (!options.baseline.empty()) {
    for (const std::string* arm : {&options.baseline, &options.compared}) {
      if (std::find(arms.begin(), arms.end(), *arm) == arms.end()) {
        std::string known;
        for (const auto& name : arms) known += (known.empty() ? "" : ", ") + name;
        throw std::invalid_argument("--compare: no run of arm '" + *arm + "' was read (arms: " +
                                    (known.empty() ? "none" : known) + ")");
      }
    }
    result.baseline = options.baseline;
    result.compared = options.compared;
  } else {
    std::tie(result.baseline, result.compared) = default_arms(arms);
  }

  if (!result.compared.empty()) {
    const std::string& a = result.baseline;
    const std::string& b = result.compared;
    const std::vector<std::pair<Alignment, std::string>> alignments = {
        {Alignment::kEnd, " at the end"}, {Alignment::kPeak, " at the LR peak"}, {Alignment::kEqualLoss, " at equal training loss"}};
    for (std::size_t i = 0; i < alignments.size(); ++i) {
      AlignedPairs aligned = align_pairs(result.runs, a, b, alignments[i].first);
      result.tables.push_back(compare(aligned, a, b, alignments[i].second, options.alpha, options.minimum_seeds,
                                      options.bootstrap_seed + i));
    }
    for (const auto& table : result.tables) {
      for (const auto& sentence : table.verdicts) result.verdicts.push_back(sentence);
    }
  }

  const std::vector<const LoadedRun*> runs = sorted_runs(result.runs, arms);
  Staging staging(out.parent_path() / ("." + out.filename().string() + ".partial-" + std::to_string(::getpid())), out);
  const fs::path figures_dir = staging.path() / "figures";

  const std::vector<Figure> figures = build_figures(runs, arms, result.compared);
  std::vector<bool> rendered(figures.size(), false);
  const bool can_render = options.render && gnuplot_available();
  if (options.render && !can_render && !figures.empty()) {
    result.warnings.push_back("gnuplot not found: wrote the figures' .dat and .gp files without rendering them");
  }
  for (std::size_t i = 0; i < figures.size(); ++i) {
    core::write_file_atomically(figures_dir / (figures[i].name + ".dat"), figure_data(figures[i]));
    core::write_file_atomically(figures_dir / (figures[i].name + ".gp"), figure_script(figures[i]));
    if (!can_render) continue;
    if (auto warning = render_figure(figures_dir, figures[i].name)) {
      result.warnings.push_back(*warning);
    } else {
      rendered[i] = true;
    }
  }

  write_tables(staging.path() / "tables", result, runs);
  Context context{options, arms, runs, result};
  Document document = build_document(context, figures, rendered, run_dirs);
  std::string title = document.blocks().front().text;
  core::write_file_atomically(staging.path() / "report.html", to_html(document, title, figures_dir));
  // report.md last: its presence marks a complete report.
  core::write_file_atomically(staging.path() / "report.md", to_markdown(document));
  move_into_place(staging.path(), out);
  staging.committed();
  return result;
}

}  // namespace curvtrack::report
