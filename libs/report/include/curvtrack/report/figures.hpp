#pragma once
// Figures as gnuplot sees them: NAME.dat (the data, in indexed blocks of self-describing rows)
// and NAME.gp (a script that reads NAME.dat and renders NAME.svg and NAME.png), so users can
// restyle a figure and rerun gnuplot. Rendering is optional: without gnuplot the .dat and .gp
// files are still written.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace curvtrack::report {

/// The points of one run in one series, in x order.
struct RunCurve {
  std::string arm;                                ///< arm name (sets the colour)
  std::int64_t seed = 0;                          ///< run seed
  bool in_summary = true;                         ///< counts toward the arm's mean and band (completed runs)
  std::vector<std::pair<double, double>> points;  ///< (x, y); non-finite y are left out
};

/// One quantity drawn per arm: faint per-seed lines, and the mean with a min-max band.
struct Series {
  std::string name;          ///< legend text, e.g. "train loss"
  bool y2 = false;           ///< on the right-hand axis
  int dash = 1;              ///< gnuplot dash type (1 solid, 2 dashed, 3 dotted ...)
  bool summary = true;       ///< draw mean and min-max band over seeds (false: only per-run lines, stronger)
  bool seed_lines = true;    ///< draw each run's line faintly
  std::vector<RunCurve> curves;  ///< every run with data
};

/// A figure of one or more series against a shared x.
struct Figure {
  std::string name;                ///< file stem: figures/NAME.{dat,gp,svg,png}
  std::string title;               ///< plot title
  std::string caption;             ///< one sentence for the report
  std::string x_label;             ///< x-axis label
  std::string y_label;             ///< left y-axis label
  std::string y2_label;            ///< right y-axis label (series with y2)
  bool log_x = false;              ///< logarithmic x
  bool log_y = false;              ///< logarithmic y (non-positive values are left out)
  std::optional<double> y_min;     ///< lower y limit
  std::vector<std::string> arms;   ///< arm order (colours)
  std::vector<Series> series;      ///< what is drawn
};

/// The .dat text: for each series and arm with data, a block of per-run rows
/// (arm seed x y; runs separated by a blank line) and, when summarised, a block of
/// (arm x mean min max n) rows; blocks separated by two blank lines, each headed by a comment.
std::string figure_data(const Figure& figure);

/// The .gp text: reads NAME.dat and writes NAME.svg (svg terminal) and NAME.png (pngcairo).
std::string figure_script(const Figure& figure);

/// True when the figure has at least one point to draw.
bool has_points(const Figure& figure);

/// Runs `gnuplot NAME.gp` in `dir` (core::run_gnuplot); returns a warning (with gnuplot's output) when it
/// fails or leaves NAME.svg or NAME.png missing, nothing on success.
std::optional<std::string> render_figure(const std::filesystem::path& dir, const std::string& name);

/// An SVG file's text made fit to inline in HTML: the XML prolog and DOCTYPE (which name an
/// external DTD) removed, element ids and their references prefixed with `id_prefix` so that
/// several figures in one page do not share ids.
std::string inline_svg(const std::string& svg_text, const std::string& id_prefix);

}  // namespace curvtrack::report
