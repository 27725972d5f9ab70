#pragma once
// The configuration schema of a training run: every section and key with its default and a
// help line, shared by `train`, `schedule`, `lrfind` and study sweeps.

#include <vector>

#include "curvtrack/core/config.hpp"

namespace curvtrack::tool {

/// Every [schedule] key; defaults empty so each policy applies its own (science.md section 1).
std::vector<core::ConfigKey> schedule_schema();

/// The whole run schema: [data] [model] [optim] [schedule] [train] [curvature] [run].
std::vector<core::ConfigKey> run_schema();

}  // namespace curvtrack::tool
