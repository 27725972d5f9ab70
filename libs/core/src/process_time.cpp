#include "curvtrack/core/process_time.hpp"

#include <time.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>

namespace curvtrack::core {

double seconds_since_process_start() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::ifstream file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // Field 2 (the command name) may hold spaces and parentheses: count fields after its last ')'.
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return nan;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i < 22) continue;
    const long ticks_per_second = sysconf(_SC_CLK_TCK);
    timespec now{};
    if (ticks_per_second <= 0 || clock_gettime(CLOCK_BOOTTIME, &now) != 0) return nan;
    const double started = std::stod(field) / static_cast<double>(ticks_per_second);
    return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec) - started;
  }
  return nan;
}

}  // namespace curvtrack::core
