#include "curvtrack/report/figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "curvtrack/core/shell.hpp"
#include "gnuplot_text.hpp"

namespace fs = std::filesystem;

namespace curvtrack::report {
namespace {

// ColorBrewer Dark2: distinct on white, colour-blind safer than the gnuplot defaults.
const char* const kPalette[] = {"1b9e77", "d95f02", "7570b3", "e7298a", "66a61e", "e6ab02", "a6761d", "666666"};
constexpr std::size_t kPaletteSize = sizeof kPalette / sizeof kPalette[0];

std::string colour(std::size_t arm_index, const char* alpha = "") {
  return std::string("'#") + alpha + kPalette[arm_index % kPaletteSize] + "'";
}

using gnuplot::data_string;
using gnuplot::number;
using gnuplot::quoted;

bool plottable(const Figure& figure, double x, double y) {
  if (!std::isfinite(x) || !std::isfinite(y)) return false;
  if (figure.log_x && !(x > 0)) return false;
  if (figure.log_y && !(y > 0)) return false;
  return true;
}

struct SummaryPoint {
  double mean, min, max;
  std::size_t n;
};

// Mean, min and max over the runs at each x (runs of one arm share their probe steps).
std::map<double, SummaryPoint> summarise(const Figure& figure, const std::vector<const RunCurve*>& curves) {
  std::map<double, std::vector<double>> at;
  for (const RunCurve* curve : curves) {
    if (!curve->in_summary) continue;
    for (const auto& [x, y] : curve->points) {
      if (plottable(figure, x, y)) at[x].push_back(y);
    }
  }
  std::map<double, SummaryPoint> out;
  for (const auto& [x, values] : at) {
    double sum = 0;
    for (double v : values) sum += v;
    out[x] = {sum / static_cast<double>(values.size()), *std::min_element(values.begin(), values.end()),
              *std::max_element(values.begin(), values.end()), values.size()};
  }
  return out;
}

std::vector<const RunCurve*> curves_of(const Series& series, const std::string& arm) {
  std::vector<const RunCurve*> out;
  for (const auto& curve : series.curves) {
    if (curve.arm == arm) out.push_back(&curve);
  }
  std::sort(out.begin(), out.end(), [](const RunCurve* x, const RunCurve* y) { return x->seed < y->seed; });
  return out;
}

// Walks the blocks in the order figure_data writes them; `visit` gets the block index.
struct Block {
  std::size_t series, arm;
  bool summary;
  std::size_t runs;  // runs in the block (seeds) or in the summary (maximum n)
};

std::vector<Block> blocks_of(const Figure& figure) {
  std::vector<Block> blocks;
  for (std::size_t s = 0; s < figure.series.size(); ++s) {
    const Series& series = figure.series[s];
    for (std::size_t a = 0; a < figure.arms.size(); ++a) {
      auto curves = curves_of(series, figure.arms[a]);
      std::size_t with_points = 0;
      for (const RunCurve* curve : curves) {
        bool any = std::any_of(curve->points.begin(), curve->points.end(),
                               [&](const auto& p) { return plottable(figure, p.first, p.second); });
        with_points += any ? 1 : 0;
      }
      if (with_points == 0) continue;
      blocks.push_back({s, a, false, with_points});
      if (series.summary) {
        auto summary = summarise(figure, curves);
        if (summary.empty()) continue;
        std::size_t n = 0;
        for (const auto& entry : summary) n = std::max(n, entry.second.n);
        blocks.push_back({s, a, true, n});
      }
    }
  }
  return blocks;
}

// With runs left out of the summary (diverged), the y range follows the summarised runs so a
// blow-up does not flatten everything else; the excluded runs are clipped at the border.
std::optional<std::pair<double, double>> summarised_range(const Figure& figure) {
  bool any_excluded = false;
  double low = INFINITY, high = -INFINITY;
  for (const auto& series : figure.series) {
    if (series.y2 || !series.summary) continue;
    for (const auto& curve : series.curves) {
      if (!curve.in_summary) {
        any_excluded = any_excluded || !curve.points.empty();
        continue;
      }
      for (const auto& [x, y] : curve.points) {
        if (!plottable(figure, x, y)) continue;
        low = std::min(low, y);
        high = std::max(high, y);
      }
    }
  }
  if (!any_excluded || !(low <= high)) return std::nullopt;
  if (figure.log_y) return std::make_pair(low / 1.5, high * 1.5);
  double pad = high > low ? 0.08 * (high - low) : std::max(std::abs(high) * 0.1, 1e-12);
  return std::make_pair(low - pad, high + pad);
}

}  // namespace

bool has_points(const Figure& figure) { return !blocks_of(figure).empty(); }

std::string figure_data(const Figure& figure) {
  std::ostringstream out;
  out << "# " << figure.title << "\n# written by curvtrack report; read by " << figure.name
      << ".gp. Blocks (gnuplot 'index N') are separated by two blank lines.\n";
  std::size_t index = 0;
  for (const Block& block : blocks_of(figure)) {
    const Series& series = figure.series[block.series];
    const std::string& arm = figure.arms[block.arm];
    const auto curves = curves_of(series, arm);
    if (index > 0) out << "\n\n";
    if (!block.summary) {
      out << "# index " << index << ": " << series.name << ", arm " << arm
          << ", one curve per run (blank line between runs)\n# arm seed x y\n";
      bool first = true;
      for (const RunCurve* curve : curves) {
        bool any = false;
        for (const auto& [x, y] : curve->points) {
          if (!plottable(figure, x, y)) continue;
          if (!any && !first) out << "\n";
          any = true;
          out << data_string(arm) << " " << curve->seed << " " << number(x) << " " << number(y) << "\n";
        }
        if (any) first = false;
      }
    } else {
      out << "# index " << index << ": " << series.name << ", arm " << arm
          << ", over completed runs at each x\n# arm x mean min max n\n";
      for (const auto& [x, point] : summarise(figure, curves)) {
        out << data_string(arm) << " " << number(x) << " " << number(point.mean) << " " << number(point.min) << " "
            << number(point.max) << " " << point.n << "\n";
      }
    }
    ++index;
  }
  return out.str();
}

std::string figure_script(const Figure& figure) {
  std::ostringstream gp;
  const std::string dat = quoted(figure.name + ".dat");
  gp << gnuplot::script_opening(figure.name, figure.title)
     << "set xlabel " << quoted(figure.x_label) << "\n"
     << "set ylabel " << quoted(figure.y_label) << "\n"
     << "set grid\n"
     << "set key below\n"
     << "set style fill transparent solid 0.18 noborder\n";
  if (figure.log_x) gp << "set logscale x\nset format x '%.0e'\n";
  if (figure.log_y) gp << "set logscale y\n";
  if (figure.y_min) {
    gp << "set yrange [" << number(*figure.y_min) << ":*]\n";
  } else if (auto range = summarised_range(figure)) {
    gp << "set yrange [" << number(range->first) << ":" << number(range->second) << "]\n";
  }
  bool any_y2 = std::any_of(figure.series.begin(), figure.series.end(), [](const Series& s) { return s.y2; });
  if (any_y2) gp << "set y2label " << quoted(figure.y2_label) << "\nset ytics nomirror\nset y2tics\n";
  std::vector<std::string> clauses;
  std::size_t index = 0;
  for (const Block& block : blocks_of(figure)) {
    const Series& series = figure.series[block.series];
    const std::string& arm = figure.arms[block.arm];
    const std::string axes = series.y2 ? " axes x1y2" : "";
    const std::string source = (clauses.empty() ? dat : std::string("''")) + " index " + std::to_string(index);
    const std::string label = series.name.empty() ? arm : arm + ": " + series.name;
    if (!block.summary) {
      if (series.summary && series.seed_lines) {
        clauses.push_back(source + " using 3:4" + axes + " with lines lw 0.7 dt " + std::to_string(series.dash) +
                          " lc rgb " + colour(block.arm, "b0") + " notitle");
      } else if (!series.summary) {
        clauses.push_back(source + " using 3:4" + axes + " with lines lw 1.2 dt " + std::to_string(series.dash) +
                          " lc rgb " + colour(block.arm, "40") + " title " +
                          quoted(label + " (" + std::to_string(block.runs) + (block.runs == 1 ? " run)" : " runs)")));
      }
    } else {
      clauses.push_back(source + " using 2:4:5" + axes + " with filledcurves lc rgb " + colour(block.arm) +
                        " notitle");
      clauses.push_back("'' index " + std::to_string(index) + " using 2:3" + axes + " with lines lw 2 dt " +
                        std::to_string(series.dash) + " lc rgb " + colour(block.arm) + " title " +
                        quoted(label + " (mean of " + std::to_string(block.runs) + ", band min-max)"));
    }
    ++index;
  }
  if (clauses.empty()) {
    gp << "set label 'no data' at graph 0.5, graph 0.5 center\nplot [0:1] [0:1] NaN notitle\n";
  } else {
    gp << "plot ";
    for (std::size_t i = 0; i < clauses.size(); ++i) gp << (i > 0 ? ", \\\n     " : "") << clauses[i];
    gp << "\n";
  }
  gp << gnuplot::script_closing(figure.name);
  return gp.str();
}

std::optional<std::string> render_figure(const fs::path& dir, const std::string& name) {
  return core::run_gnuplot(dir, name + ".gp", {name + ".svg", name + ".png"});
}

std::string inline_svg(const std::string& svg_text, const std::string& id_prefix) {
  std::size_t start = svg_text.find("<svg");
  std::string svg = start == std::string::npos ? svg_text : svg_text.substr(start);
  for (const std::string& marker : {std::string("id='"), std::string("id=\""), std::string("href='#"),
                                    std::string("href=\"#"), std::string("url(#")}) {
    std::string replaced;
    std::size_t from = 0;
    for (std::size_t at = svg.find(marker); at != std::string::npos; at = svg.find(marker, from)) {
      // "id=" must be a whole attribute name, not the end of e.g. "grid="
      bool attribute = marker[0] != 'i' || (at > 0 && (svg[at - 1] == ' ' || svg[at - 1] == '\t' || svg[at - 1] == '\n'));
      replaced.append(svg, from, at - from).append(marker);
      if (attribute) replaced += id_prefix;
      from = at + marker.size();
    }
    replaced.append(svg, from, std::string::npos);
    svg = std::move(replaced);
  }
  return svg;
}

}  // namespace curvtrack::report
