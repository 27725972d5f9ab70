#!/usr/bin/env bash
# Cost and accuracy of cheap lambda_max tracking (issue 15), printed part by part:
#   every10  experiments/edge-of-stability/tracking.ini (full-batch GD, eta 0.05, 1,500 steps,
#            curvature.track = certified) at every:10: probe_over_train (meta.json), HVPs per
#            probe (all, certified, fell back), the edge-of-stability crossing (first probe with
#            lr*lambda_max >= 1.9) and the mean lr*lambda_max over the next 800 steps; then the
#            max relative gap of the tracked values to cold float64 solves (warm_start = false,
#            track = full, tol 1e-8) of the saved checkpoints (steps 250, 500, ..., 1500, all
#            probe points): `curvtrack spectrum --run DIR --checkpoints ... --records cold.jsonl`;
#            then an untracked run of the same config: the tracked training loop's wall time
#            (train_seconds + probe_seconds) over the untracked one's, minus 1;
#   full     the same run with curvature.track = full (the previous default: a warm-started
#            float64 solve to tol 1e-6 on the probe copy at every probe point): its
#            probe_over_train and plateau, and the max relative gap of every certified value of
#            `every10` to the full solve of the same step (same weights: the step's gradient is
#            bit-identical, so both runs train identically);
#   levers   what each lever gives, at every:10: track = full with curvature.tol = 1e-3 (the
#            looser tolerance alone, still on the probe copy), and track = certified with
#            model.dtype = float64 (the step's graph and the certificate without float32 products),
#            and track = certified with track_start = previous (each attempt from the previous
#            Ritz vector instead of the extrapolated one), and track = certified with track_tol =
#            3e-3 and 1e-2 (looser certificates; their values against `full`);
#   every1   the certified config at every:1 for EVERY1_STEPS steps (default 1500): probe_over_train,
#            and its probe seconds over the training seconds of an untracked run of the same config;
#   batch    batch sharpness at every:10 on experiments/fmnist-quick/base.ini (constant lr 0.05,
#            momentum 0.9, the base run's arm; only an end probe of lambda_max besides): its
#            seconds (probe_seconds minus the end probe) over train_seconds, and HVPs per measurement;
#            then the same training untracked: the whole loop's overhead (the end probe left out).
# Timings depend on load: compare within one invocation.
#
# Usage: scripts/bench/tracking_overhead.sh
# Environment: CURVTRACK (binary; default build/tools/curvtrack/curvtrack), THREADS (default 1),
#   OUT_DIR (run directories; default a fresh folder under /tmp), EVERY1_STEPS (default 1500),
#   FMNIST_EPOCHS (default 1), ONLY (space-separated parts to run; default all, in the order above;
#   `full` compares with `every10` when OUT_DIR already holds it), PYTHON (default python3).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
curvtrack=${CURVTRACK:-$root/build/tools/curvtrack/curvtrack}
[[ -x $curvtrack ]] || { echo "curvtrack binary $curvtrack not found" >&2; exit 2; }
threads=${THREADS:-1}
out_dir=${OUT_DIR:-$(mktemp -d /tmp/tracking_overhead.XXXXXX)}
every1_steps=${EVERY1_STEPS:-1500}
fmnist_epochs=${FMNIST_EPOCHS:-1}
only=" ${ONLY:-every10 full levers every1 batch} "
python=${PYTHON:-python3}
summary=$root/scripts/bench/tracking_summary.py
config=$root/experiments/edge-of-stability/tracking.ini
mkdir -p "$out_dir"
echo "curvtrack $curvtrack; $threads thread(s); output in $out_dir; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

train() {  # RUN_DIR CONFIG [--set K=V ...]
  local dir=$1 file=$2
  shift 2
  rm -rf "$dir"
  "$curvtrack" train --config "$file" --run-dir "$dir" --threads "$threads" --quiet "$@"
}

if [[ $only == *" every10 "* ]]; then
  train "$out_dir/every10" "$config"
  "$python" "$summary" run "$out_dir/every10" "every:10 certified"
  "$curvtrack" spectrum --run "$out_dir/every10" --checkpoints 250,500,750,1000,1250,1500 --records cold.jsonl \
    --set curvature.track=full --set curvature.warm_start=false --set curvature.tol=1e-8 --threads "$threads" >/dev/null
  "$python" "$summary" cold "$out_dir/every10"
  train "$out_dir/every10-untracked" "$config" --set curvature.at=
  "$python" "$summary" wall "$out_dir/every10" "$out_dir/every10-untracked"
fi

if [[ $only == *" full "* ]]; then
  train "$out_dir/full" "$config" --set curvature.track=full
  "$python" "$summary" run "$out_dir/full" "every:10 full (tol 1e-6)"
  if [[ -f $out_dir/every10/curvature.jsonl ]]; then "$python" "$summary" compare "$out_dir/every10" "$out_dir/full"; fi
fi

if [[ $only == *" levers "* ]]; then
  train "$out_dir/full-tol1e-3" "$config" --set curvature.track=full --set curvature.tol=1e-3
  "$python" "$summary" run "$out_dir/full-tol1e-3" "every:10 full (tol 1e-3)"
  train "$out_dir/certified-float64" "$config" --set model.dtype=float64
  "$python" "$summary" run "$out_dir/certified-float64" "every:10 certified, float64 model"
  train "$out_dir/certified-previous" "$config" --set curvature.track_start=previous
  "$python" "$summary" run "$out_dir/certified-previous" "every:10 certified, started from the previous Ritz vector"
  if [[ -f $out_dir/full/curvature.jsonl ]]; then "$python" "$summary" compare "$out_dir/certified-previous" "$out_dir/full"; fi
  for tol in 3e-3 1e-2; do
    train "$out_dir/certified-tol$tol" "$config" --set curvature.track_tol=$tol
    "$python" "$summary" run "$out_dir/certified-tol$tol" "every:10 certified, track_tol $tol"
    if [[ -f $out_dir/full/curvature.jsonl ]]; then "$python" "$summary" compare "$out_dir/certified-tol$tol" "$out_dir/full"; fi
  done
fi

if [[ $only == *" every1 "* ]]; then
  train "$out_dir/every1" "$config" --set curvature.at=every:1 --set train.steps="$every1_steps" \
    --set train.checkpoint_every=0
  "$python" "$summary" run "$out_dir/every1" "every:1 certified"
  # An untracked run: on a probed step the backward pass counts as probing, so compare with this too.
  train "$out_dir/untracked" "$config" --set curvature.at= --set train.steps="$every1_steps" \
    --set train.checkpoint_every=0
  "$python" "$summary" untracked "$out_dir/every1" "$out_dir/untracked"
fi

if [[ $only == *" batch "* ]]; then
  sgd=("$root/experiments/fmnist-quick/base.ini" --set schedule.policy=constant --set schedule.lr=0.05
       --set schedule.momentum=0.9 --set train.epochs="$fmnist_epochs")
  train "$out_dir/batch10" "${sgd[@]}" --set curvature.at=end --set curvature.trace=none \
    --set curvature.sharpness=none --set curvature.test_probe=none --set curvature.batch_sharpness=every:10 \
    --set run.name=batch-sharpness-every10
  "$python" "$summary" batch "$out_dir/batch10"
  train "$out_dir/batch-untracked" "${sgd[@]}" --set curvature.at= --set run.name=batch-sharpness-untracked
  "$python" "$summary" batchwall "$out_dir/batch10" "$out_dir/batch-untracked"
fi
