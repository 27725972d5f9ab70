#!/usr/bin/env bash
# The study's end measures (README, "End measures"), computed offline from each completed run's
# final checkpoint, on the first 2,048 training images with BatchNorm statistics re-estimated on
# them. Products are float32 (eigen-solver tolerance 1e-5, the float32 floor); on
# constant_0.05/seed-0 they agreed with float64 products to 4e-6 relative for the top-5, 1e-6 for
# the trace and 5e-6 for every block trace (README, "Deviation"), at a quarter of the time. Each run gets three record files beside its curvature.jsonl:
#   end-rho0.05.jsonl  top-5 with residuals, Hutch++ trace (120 products) with its SE, per-module
#                      block traces (from the same 120 products) and weight norms, adaptive
#                      sharpness at rho 0.05 and epsilon-sharpness, loss and accuracy on all
#                      10,000 test images
#   end-rho0.01.jsonl, end-rho0.1.jsonl   adaptive sharpness at the other two radii
# Runs that already have a file are skipped (spectrum --run adds only missing records), so the
# script can be stopped and started again.
# Usage: bash end_measures.sh [RUNS_ROOT] [THREADS] [SHARD/SHARDS]
#   SHARD/SHARDS (e.g. 0/2 and 1/2 in two processes) splits the runs between processes.
# CURVTRACK=path picks the binary (default build/tools/curvtrack/curvtrack).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=${1:-runs/fmnist-lr-matched}
threads=${2:-1}
shard=${3:-0/1}
shard_index=${shard%/*}
shard_count=${shard#*/}
ct=${CURVTRACK:-build/tools/curvtrack/curvtrack}
common=(--checkpoints last --threads "$threads" --quiet
        --set curvature.dtype=float32 --set curvature.tol=1e-5 --set curvature.probe=train:first:2048 --set curvature.bn_mode=eval
        --set curvature.warm_start=false --set curvature.sharpness_steps=10 --set curvature.eta=0)
# Order: seed by seed (every arm of seed 0, then of seed 1, ...), so that a partial pass gives
# balanced arms; runs whose last logged minibatch loss is 2 or more (collapsed to chance, README
# "Amendment") go last.
last_loss() { awk -F, 'NR > 1 && $6 != "" { loss = $6 } END { print loss + 0 }' "$1/metrics.csv"; }
ordered=()
for pass in trained collapsed; do
  while read -r _ run; do
    collapsed=$(awk -v l="$(last_loss "$run")" 'BEGIN { print (l >= 2.0) ? "collapsed" : "trained" }')
    [[ $collapsed == "$pass" ]] && ordered+=("$run")
  done < <(for run in "$root"/*/seed-*; do echo "${run##*/seed-} $run"; done | sort -s -n -k1,1)
done
index=-1
for run in "${ordered[@]}"; do
  index=$((index + 1))
  (( index % shard_count == shard_index )) || continue
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
