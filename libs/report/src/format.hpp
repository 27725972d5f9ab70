#pragma once
// Numbers as the report's text shows them: a few significant digits, "n/a" for what is undefined.

#include <string>

#include "curvtrack/report/statistics.hpp"

namespace curvtrack::report {

/// `value` with `digits` significant digits; "n/a" for NaN, "inf" or "-inf" for infinities.
std::string fmt(double value, int digits = 4);

/// A p-value: "<0.0001" below 1e-4, else two significant digits; "n/a" for NaN.
std::string fmt_p(double p);

/// "mean ± SD" of a summary: the mean alone for one value, "n/a" for none.
std::string mean_sd(const Summary& s);

}  // namespace curvtrack::report
