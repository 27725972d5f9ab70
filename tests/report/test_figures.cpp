#include "test_prelude.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "curvtrack/report/figures.hpp"
#include "test_support.hpp"

using namespace curvtrack::report;
using curvtrack::testing::count_of;
using curvtrack::testing::TempDir;
using curvtrack::testing::slurp;
using Catch::Matchers::Contains;

namespace {

Figure two_arms() {
  Figure figure;
  figure.name = "demo";
  figure.title = "demo's title";
  figure.arms = {"constant", "onecycle"};
  Series series;
  series.name = "λmax";
  series.curves = {{"constant", 0, true, {{0.0, 1.0}, {1.0, 3.0}}},
                   {"constant", 1, true, {{0.0, 2.0}, {1.0, 5.0}}},
                   {"constant", 2, false, {{0.0, 100.0}}},  // diverged: drawn, not summarised
                   {"onecycle", 0, true, {{0.0, 1.0}, {0.5, NAN}, {1.0, 1.0}}}};
  figure.series.push_back(series);
  return figure;
}

}  // namespace

TEST_CASE("figure data holds per-run blocks and a summary over the summarised runs", "[unit]") {
  std::string data = figure_data(two_arms());
  // Blocks: constant runs, constant summary, onecycle runs, onecycle summary.
  CHECK(count_of(data, "# index ") == 4);
  CHECK_THAT(data, Contains("# index 1: λmax, arm constant, over completed runs"));
  // Summary at x = 1 over seeds 0 and 1: mean 4, min 3, max 5, n 2; at x = 0 the diverged run is left out.
  CHECK_THAT(data, Contains("\"constant\" 1 4 3 5 2\n"));
  CHECK_THAT(data, Contains("\"constant\" 0 1.5 1 2 2\n"));
  CHECK_THAT(data, Contains("\"constant\" 2 0 100\n"));
  CHECK(data.find("nan") == std::string::npos);  // non-finite points are left out
}

TEST_CASE("figure script reads the data file, draws bands and renders svg and png", "[unit]") {
  std::string gp = figure_script(two_arms());
  CHECK_THAT(gp, Contains("set title 'demo''s title'"));
  CHECK_THAT(gp, Contains("plot 'demo.dat' index 0 using 3:4"));
  CHECK_THAT(gp, Contains("index 1 using 2:4:5 with filledcurves"));
  CHECK_THAT(gp, Contains("set terminal svg"));
  CHECK_THAT(gp, Contains("set output 'demo.png'"));
  CHECK_THAT(gp, Contains("constant: λmax (mean of 2, band min-max)"));
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    WARN("gnuplot not found: rendering not checked");
    return;
  }
  TempDir scratch;
  std::ofstream(scratch.path() / "demo.dat") << figure_data(two_arms());
  std::ofstream(scratch.path() / "demo.gp") << gp;
  auto warning = render_figure(scratch.path(), "demo");
  INFO(warning.value_or(""));
  CHECK_FALSE(warning.has_value());
  CHECK_THAT(slurp(scratch.path() / "demo.svg"), Contains("<svg"));
  CHECK(std::filesystem::file_size(scratch.path() / "demo.png") > 1000);
}

TEST_CASE("a figure without points still gets a script gnuplot can run", "[unit]") {
  Figure figure;
  figure.name = "empty";
  figure.arms = {"constant"};
  figure.series.push_back(Series{});
  CHECK_FALSE(has_points(figure));
  CHECK_THAT(figure_script(figure), Contains("no data"));
}

TEST_CASE("inline_svg drops the prolog and DOCTYPE and prefixes ids and references", "[unit]") {
  const std::string svg =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\"><g id=\"gnuplot_canvas\"><path id='gpPt0'/>"
      "<use xlink:href='#gpPt0'/><g clip-path=\"url(#gpclip)\" grid=\"x\"/></g></svg>";
  std::string out = inline_svg(svg, "fig-");
  CHECK(out.rfind("<svg", 0) == 0);
  CHECK(out.find("DOCTYPE") == std::string::npos);
  CHECK_THAT(out, Contains("id=\"fig-gnuplot_canvas\""));
  CHECK_THAT(out, Contains("id='fig-gpPt0'"));
  CHECK_THAT(out, Contains("xlink:href='#fig-gpPt0'"));
  CHECK_THAT(out, Contains("url(#fig-gpclip)"));
  CHECK_THAT(out, Contains("grid=\"x\""));
}
