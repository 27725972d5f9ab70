#include "curvtrack/report/primary_figures.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include <boost/math/distributions/students_t.hpp>

#include "format.hpp"
#include "gnuplot_text.hpp"

namespace curvtrack::report {

using gnuplot::data_string;
using gnuplot::number;
using gnuplot::quoted;

namespace {

// Plot clauses over the non-empty blocks of one .dat file: the first names the file, the rest ''.
class Clauses {
 public:
  explicit Clauses(std::string dat) : dat_(std::move(dat)) {}
  void add(std::size_t index, const std::string& rest) {
    items_.push_back((items_.empty() ? dat_ : std::string("''")) + " index " + std::to_string(index) + " " + rest);
  }
  std::string plot() const {
    if (items_.empty()) return "set label 'no data' at graph 0.5, graph 0.5 center\nplot [1:2] [1:2] NaN notitle\n";
    std::string out = "plot ";
    for (std::size_t i = 0; i < items_.size(); ++i) out += (i > 0 ? ", \\\n     " : "") + items_[i];
    return out + "\n";
  }

 private:
  std::string dat_;
  std::vector<std::string> items_;
};

Interval log_t_interval(const std::vector<double>& logs) {
  const Summary s = summarize(logs);
  if (s.n < 2) return {std::exp(s.mean), std::exp(s.mean)};
  const boost::math::students_t t(static_cast<double>(s.n - 1));
  const double half = boost::math::quantile(t, 0.975) * s.sd / std::sqrt(static_cast<double>(s.n));
  return {std::exp(s.mean - half), std::exp(s.mean + half)};
}

}  // namespace

std::string figure_stem(const std::string& measure) {
  std::string stem;
  for (char c : measure) stem += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return stem;
}

AnalysisFigure forest_plot(const PrimaryAnalysis& analysis) {
  AnalysisFigure figure;
  figure.name = "primary_forest";
  const double s = analysis.plan.smallest_effect;
  figure.caption = "Pre-registered contrasts: the ratio 1cycle / constant rate at equal mean effective LR (OLS, seeds "
                   "as fixed effects), thick bar the 95% seed-bootstrap CI, thin bar the Holm-level CI that decides the "
                   "verdict, dashed ticks the minimum detectable effect at " + fmt(100 * analysis.plan.power, 3) +
                   "% power, shaded band the smallest effect of interest [" + fmt(s, 3) + ", " + fmt(1 / s, 3) + "].";
  const std::size_t n = analysis.contrasts.size();
  std::ostringstream dat;
  dat << "# Primary contrasts (ratio 1cycle / constant rate)\n"
      << "# y measure ratio ci_low ci_high adjusted_low adjusted_high mde_low mde_high verdict\n";
  double low = s, high = 1 / s;
  for (std::size_t i = 0; i < n; ++i) {
    const PrimaryContrast& c = analysis.contrasts[i];
    const double y = static_cast<double>(n - i);  // first contrast on top
    dat << number(y) << " " << data_string(c.measure) << " " << number(c.ratio) << " " << number(c.ci.low) << " "
        << number(c.ci.high) << " " << number(c.ci_adjusted.low) << " " << number(c.ci_adjusted.high) << " "
        << number(c.mde_ratio.low) << " " << number(c.mde_ratio.high) << " " << data_string(verdict_text(c.verdict))
        << "\n";
    for (double v : {c.ci_adjusted.low, c.ci_adjusted.high, c.mde_ratio.low, c.mde_ratio.high}) {
      if (std::isfinite(v) && v > 0) {
        low = std::min(low, v);
        high = std::max(high, v);
      }
    }
  }
  figure.data = dat.str();

  std::ostringstream gp;
  gp << gnuplot::script_opening(figure.name, "Primary contrasts: 1cycle / constant rate at equal mean effective LR")
     << "set xlabel 'ratio 1cycle / constant rate (log scale; below 1: 1cycle flatter)'\n"
     << "set logscale x\nset grid x\nset key below\n"
     << "set xrange [" << number(low / 1.15) << ":" << number(high * 1.15) << "]\n"
     << "set xtics (";
  const double x_low = low / 1.15, x_high = high * 1.15;
  bool first_tic = true;
  for (double tic : {0.1, 0.2, 0.3, 0.5, 0.7, s, 1.0, 1 / s, 1.5, 2.0, 3.0, 5.0, 10.0}) {
    if (tic < x_low || tic > x_high) continue;
    gp << (first_tic ? "" : ", ") << quoted(fmt(tic, 3)) << " " << number(tic);
    first_tic = false;
  }
  gp << ")\n"
     << "set yrange [0.4:" << number(static_cast<double>(n) + 0.6) << "]\n"
     << "set ytics (";
  for (std::size_t i = 0; i < n; ++i) {
    gp << (i > 0 ? ", " : "") << quoted(analysis.contrasts[i].measure + ": " + verdict_text(analysis.contrasts[i].verdict))
       << " " << (n - i);
  }
  gp << ")\n"
     << "set object 1 rect from " << number(s) << ", graph 0 to " << number(1 / s)
     << ", graph 1 behind fillcolor rgb '#e8e8e8' fillstyle solid 1.0 noborder\n"
     << "set arrow 1 from 1, graph 0 to 1, graph 1 nohead lc rgb '#444444' lw 1.5\n";
  Clauses plot(quoted(figure.name + ".dat"));
  if (n > 0) {
    plot.add(0, "using 3:1:6:7 with xerrorbars pt 7 ps 0 lw 1 lc rgb '#1b9e77' title 'Holm-level CI'");
    plot.add(0, "using 3:1:4:5 with xerrorbars pt 7 ps 1.4 lw 4 lc rgb '#1b9e77' title 'ratio, 95% CI'");
    plot.add(0, "using 8:($1-0.25):(0):(0.5) with vectors nohead dt 2 lw 2 lc rgb '#d95f02' "
                "title 'minimum detectable effect'");
    plot.add(0, "using 9:($1-0.25):(0):(0.5) with vectors nohead dt 2 lw 2 lc rgb '#d95f02' notitle");
  }
  gp << plot.plot() << gnuplot::script_closing(figure.name);
  figure.script = gp.str();
  return figure;
}

std::vector<ArmPoint> arm_points(const std::vector<AnalysisRow>& rows, const std::string& measure) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const AnalysisRow*>> of_arm;
  for (const AnalysisRow& row : rows) {
    auto it = row.measures.find(measure);
    if (it == row.measures.end() || !(it->second > 0) || !std::isfinite(it->second)) continue;
    if (!(row.mean_effective_lr > 0) || !std::isfinite(row.mean_effective_lr)) continue;
    if (of_arm[row.arm].empty()) order.push_back(row.arm);
    of_arm[row.arm].push_back(&row);
  }
  std::vector<ArmPoint> points;
  for (const std::string& arm : order) {
    const auto& runs = of_arm[arm];
    std::vector<double> log_m, log_lr;
    for (const AnalysisRow* run : runs) {
      log_m.push_back(std::log(run->measures.at(measure)));
      log_lr.push_back(std::log(run->mean_effective_lr));
    }
    ArmPoint p;
    p.arm = arm;
    p.onecycle = runs.front()->onecycle;
    p.weight_decay = runs.front()->weight_decay;
    p.n = static_cast<std::int64_t>(runs.size());
    p.lr = std::exp(summarize(log_lr).mean);
    p.mean = std::exp(summarize(log_m).mean);
    p.ci = log_t_interval(log_m);
    points.push_back(p);
  }
  return points;
}

AnalysisFigure measure_against_lr(const std::vector<AnalysisRow>& rows, const std::string& measure) {
  AnalysisFigure figure;
  figure.name = "measure_vs_lr_" + figure_stem(measure);
  figure.caption = measure + " against the mean effective learning rate (log-log): constant-rate arms as a curve of "
                   "geometric means with the 95% t-interval band over seeds, 1cycle arms as points with 95% CIs, "
                   "weight-decay arms as open squares, every run as a faint dot.";
  std::vector<ArmPoint> points = arm_points(rows, measure);
  std::vector<ArmPoint> curve, onecycle, decay;
  for (const ArmPoint& p : points) {
    if (p.weight_decay) {
      decay.push_back(p);
    } else if (p.onecycle) {
      onecycle.push_back(p);
    } else {
      curve.push_back(p);
    }
  }
  std::sort(curve.begin(), curve.end(), [](const ArmPoint& a, const ArmPoint& b) { return a.lr < b.lr; });

  std::ostringstream dat;
  dat << "# " << measure << " against the mean effective LR. Blocks (gnuplot 'index N') are separated by two blank lines.\n";
  const char* const kBlockNames[] = {"constant-rate arms, by LR", "1cycle arms", "weight-decay arms"};
  const std::vector<ArmPoint>* blocks[] = {&curve, &onecycle, &decay};
  std::size_t index = 0;
  std::vector<std::pair<std::size_t, std::size_t>> present;  // (block kind, index)
  for (std::size_t k = 0; k < 3; ++k) {
    if (blocks[k]->empty()) continue;
    if (index > 0) dat << "\n\n";
    dat << "# index " << index << ": " << kBlockNames[k] << "\n# arm lr mean ci_low ci_high n\n";
    for (const ArmPoint& p : *blocks[k]) {
      dat << data_string(p.arm) << " " << number(p.lr) << " " << number(p.mean) << " " << number(p.ci.low) << " "
          << number(p.ci.high) << " " << p.n << "\n";
    }
    present.emplace_back(k, index++);
  }
  bool any_run = false;
  std::ostringstream runs;
  for (const AnalysisRow& row : rows) {
    auto it = row.measures.find(measure);
    if (it == row.measures.end() || !(it->second > 0) || !std::isfinite(it->second)) continue;
    if (!(row.mean_effective_lr > 0) || !std::isfinite(row.mean_effective_lr)) continue;
    runs << data_string(row.arm) << " " << row.seed << " " << number(row.mean_effective_lr) << " " << number(it->second)
         << "\n";
    any_run = true;
  }
  if (any_run) {
    if (index > 0) dat << "\n\n";
    dat << "# index " << index << ": every run\n# arm seed lr value\n" << runs.str();
  }
  figure.data = dat.str();

  std::ostringstream gp;
  gp << gnuplot::script_opening(figure.name, measure + " against the mean effective learning rate")
     << "set xlabel 'mean effective learning rate, mean of lr / (1 - momentum) (log scale)'\n"
     << "set ylabel " << quoted(measure + " (log scale)") << "\n"
     << "set logscale xy\nset grid\nset key below\n"
     << "set style fill transparent solid 0.2 noborder\n";
  Clauses plot(quoted(figure.name + ".dat"));
  if (any_run) plot.add(index, "using 3:4 with points pt 7 ps 0.4 lc rgb '#b0666666' title 'runs'");
  for (const auto& [kind, i] : present) {
    if (kind == 0) {
      plot.add(i, "using 2:4:5 with filledcurves lc rgb '#1b9e77' title 'constant rate: 95% CI over seeds'");
      plot.add(i, "using 2:3 with linespoints pt 7 lw 2 lc rgb '#1b9e77' title 'constant rate (geometric mean)'");
    } else if (kind == 1) {
      plot.add(i, "using 2:3:4:5 with yerrorbars pt 9 ps 1.6 lw 2 lc rgb '#d95f02' title '1cycle (95% CI)'");
    } else {
      plot.add(i, "using 2:3:4:5 with yerrorbars pt 4 ps 1.6 lw 2 lc rgb '#7570b3' title 'weight decay (95% CI)'");
    }
    // Labels alternate above and below their point (x1.12 on the log axis), so that arms at nearby
    // rates (1cycle with and without cyclical momentum) do not print over each other; 1cycle labels
    // go to the right of their points, weight-decay labels to the left.
    if (kind != 0) {
      const std::string side = kind == 1 ? "offset 1.2,0 left" : "offset -1.2,0 right";
      plot.add(i, "using 2:(int(column(0)) % 2 == 0 ? $3 * 1.12 : $3 / 1.12):1 with labels " + side +
                      " font ',9' tc rgb '#444444' notitle");
    }
  }
  gp << plot.plot() << gnuplot::script_closing(figure.name);
  figure.script = gp.str();
  return figure;
}

std::vector<AnalysisFigure> analysis_figures(const std::vector<AnalysisRow>& rows, const PrimaryAnalysis& analysis,
                                             const std::vector<std::string>& measures) {
  std::vector<AnalysisFigure> figures = {forest_plot(analysis)};
  for (const std::string& measure : measures) figures.push_back(measure_against_lr(rows, measure));
  return figures;
}

}  // namespace curvtrack::report
