#pragma once
// The configuration schema of a training run: every section and key with its default and a
// help line, shared by `train`, `schedule`, `lrfind` and study sweeps.

#include <string>
#include <vector>

#include "curvtrack/core/config.hpp"

namespace curvtrack::tool {

/// Every [schedule] key; defaults empty so each policy applies its own (science.md section 1).
std::vector<core::ConfigKey> schedule_schema();

/// The whole run schema: [data] [model] [optim] [schedule] [train] [curvature] [run].
std::vector<core::ConfigKey> run_schema();

/// A run's config as `train` resolves it: the schema's defaults, then `file` (skipped when
/// empty), then each `section.key=value` in order. Throws core::UsageError naming what is wrong.
core::Config resolve_run_config(const std::string& file, const std::vector<std::string>& assignments);

}  // namespace curvtrack::tool
