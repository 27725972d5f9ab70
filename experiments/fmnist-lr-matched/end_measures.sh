#!/usr/bin/env bash
# The study's end measures (README, "End measures"), computed offline from each completed run's
# final checkpoint, in float64 on the first 2,048 training images with BatchNorm statistics
# re-estimated on them. Each run gets three record files beside its curvature.jsonl:
#   end-rho0.05.jsonl  top-5 with residuals, Hutch++ trace (120 products) with its SE, per-module
#                      block traces (from the same 120 products) and weight norms, adaptive
#                      sharpness at rho 0.05 and epsilon-sharpness, loss and accuracy on all
#                      10,000 test images
#   end-rho0.01.jsonl, end-rho0.1.jsonl   adaptive sharpness at the other two radii
# Runs that already have a file are skipped (spectrum --run adds only missing records), so the
# script can be stopped and started again. Usage: bash end_measures.sh [RUNS_ROOT] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=${1:-runs/fmnist-lr-matched}
threads=${2:-1}
ct=build/tools/curvtrack/curvtrack
common=(--checkpoints last --threads "$threads" --quiet
        --set curvature.dtype=float64 --set curvature.probe=train:first:2048 --set curvature.bn_mode=eval
        --set curvature.warm_start=false --set curvature.sharpness_steps=10 --set curvature.eta=0)
for run in "$root"/*/seed-*; do
  grep -q '"status": "completed"' "$run/meta.json" 2>/dev/null || continue
  echo "end measures: $run"
  "$ct" spectrum --run "$run" "${common[@]}" --records end-rho0.05.jsonl \
      --set curvature.top_k=5 --set curvature.trace=hutchpp --set curvature.trace_samples=120 \
      --set curvature.blocks=module --set curvature.sharpness=both --set curvature.rho=0.05 \
      --set curvature.epsilon=1e-3 --set curvature.test_probe=test:all
  for rho in 0.01 0.1; do
    "$ct" spectrum --run "$run" "${common[@]}" --records "end-rho$rho.jsonl" \
        --set curvature.top_k=0 --set curvature.trace=none --set curvature.sharpness=adaptive \
        --set curvature.rho="$rho" --set curvature.test_probe=none
  done
done
