#include "format.hpp"

#include <cmath>
#include <cstdio>

namespace curvtrack::report {

std::string fmt(double value, int digits) {
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

}  // namespace curvtrack::report
