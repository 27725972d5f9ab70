#include "curvtrack/runs/spectrum_document.hpp"

namespace curvtrack::runs {

nlohmann::json DeterminismCheck::to_json() const {
  return {{"max_abs_difference", max_abs_difference}, {"hvps", hvps}, {"identical", max_abs_difference == 0.0}};
}

nlohmann::json SpectrumDocument::to_json() const {
  nlohmann::json out = {{"tool", tool},
                        {"curvtrack_version", curvtrack_version},
                        {"git_revision", git_revision},
                        {"settings", settings},
                        {"probe_loss", probe_loss},
                        {"probe_gradient_norm", probe_gradient_norm},
                        {"determinism", determinism.to_json()},
                        {"total_hvps", total_hvps},
                        {"total_seconds", total_seconds}};
  if (!phase_seconds.empty()) out["phase_seconds"] = phase_seconds;
  if (top) out["top"] = top->to_json();
  if (bottom) out["bottom"] = bottom->to_json();
  if (trace) out["trace"] = trace->to_json();
  if (esd) out["esd"] = esd->to_json();
  if (!blocks.empty()) out["blocks"] = blocks_json(blocks);
  if (subspace) out["subspace"] = subspace->to_json();
  if (probe_draws) out["probe_draws"] = probe_draws->to_json();
  return out;
}

}  // namespace curvtrack::runs
