#pragma once
// Text fragments of gnuplot data files and scripts, shared by the report's figure writers.

#include <cmath>
#include <cstdio>
#include <string>

namespace curvtrack::report::gnuplot {

/// A number as data: 10 significant digits, "nan" for NaN (the scripts set datafile missing 'nan').
inline std::string number(double value) {
  if (std::isnan(value)) return "nan";
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

/// A gnuplot single-quoted string: a quote inside is written twice.
inline std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

/// A data-file column that stays one field: double quotes, inner ones replaced.
inline std::string data_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' ? '\'' : c;
  return out + "\"";
}

/// A script's opening: comment lines, the SVG terminal writing NAME.svg, missing data, the title.
inline std::string script_opening(const std::string& name, const std::string& title) {
  return "# " + title + "\n# written by curvtrack report: reads " + name + ".dat and writes " + name + ".svg and " +
         name + ".png.\n# Restyle freely and regenerate with: gnuplot " + name + ".gp\n" +
         "set encoding utf8\n"
         "set terminal svg size 860,500 dynamic noenhanced font 'Sans,12' background rgb 'white'\n"
         "set output " + quoted(name + ".svg") + "\n" +
         "set datafile missing 'nan'\n"
         "set title " + quoted(title) + "\n";
}

/// A script's closing: the same plot again as NAME.png.
inline std::string script_closing(const std::string& name) {
  return "set terminal pngcairo size 1000,580 noenhanced font 'Sans,10' background rgb 'white'\n"
         "set output " + quoted(name + ".png") + "\n" +
         "replot\n"
         "unset output\n";
}

}  // namespace curvtrack::report::gnuplot
