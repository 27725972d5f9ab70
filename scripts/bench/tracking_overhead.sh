#!/usr/bin/env bash
# Cost and accuracy of cheap lambda_max tracking (issue 15), printed as one table:
#   1. experiments/edge-of-stability/tracking.ini (full-batch GD, eta 0.05, 1,500 steps,
#      curvature.track = certified) at every:10: probe_over_train (meta.json), HVPs per probe
#      (all, certified, fell back), the edge-of-stability crossing (first probe with
#      lr*lambda_max >= 1.9) and the mean lr*lambda_max over the next 800 steps;
#   2. the max relative gap of the tracked values to cold float64 solves (warm_start = false,
#      track = full, tol 1e-8) of the saved checkpoints (steps 250, 500, ..., 1500), which are
#      probe points: `curvtrack spectrum --run DIR --checkpoints ... --records cold.jsonl`;
#   3. the same config at every:1 for EVERY1_STEPS steps (default 300): probe_over_train;
#   4. batch sharpness at every:10 on experiments/fmnist-quick/base.ini (constant lr 0.05,
#      momentum 0.9, the base run's arm; only an end probe of lambda_max besides): its seconds
#      (probe_seconds minus the end probe) over train_seconds, and HVPs per measurement.
# Timings depend on load: compare within one invocation.
#
# Usage: scripts/bench/tracking_overhead.sh
# Environment: CURVTRACK (binary; default build/tools/curvtrack/curvtrack), THREADS (default 1),
#   OUT_DIR (run directories; default a fresh folder under /tmp), EVERY1_STEPS (default 300),
#   FMNIST_EPOCHS (default 1), SKIP (space-separated parts to skip: every10 every1 batch).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
curvtrack=${CURVTRACK:-$root/build/tools/curvtrack/curvtrack}
[[ -x $curvtrack ]] || { echo "curvtrack binary $curvtrack not found" >&2; exit 2; }
threads=${THREADS:-1}
out_dir=${OUT_DIR:-$(mktemp -d /tmp/tracking_overhead.XXXXXX)}
every1_steps=${EVERY1_STEPS:-300}
fmnist_epochs=${FMNIST_EPOCHS:-1}
skip=" ${SKIP:-} "
python=${PYTHON:-python3}
config=$root/experiments/edge-of-stability/tracking.ini
mkdir -p "$out_dir"
echo "curvtrack $curvtrack; $threads thread(s); output in $out_dir; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

train() {  # RUN_DIR CONFIG [--set K=V ...]
  local dir=$1 file=$2
  shift 2
  "$curvtrack" train --config "$file" --run-dir "$dir" --threads "$threads" --quiet "$@"
}

if [[ $skip != *" every10 "* ]]; then
  train "$out_dir/every10" "$config"
  "$curvtrack" spectrum --run "$out_dir/every10" --checkpoints 250,500,750,1000,1250,1500 --records cold.jsonl \
    --set curvature.track=full --set curvature.warm_start=false --set curvature.tol=1e-8 --threads "$threads" >/dev/null
  "$python" - "$out_dir/every10" <<'PY'
import json, sys, statistics
run = sys.argv[1]
meta = json.load(open(f"{run}/meta.json"))
records = [json.loads(l) for l in open(f"{run}/curvature.jsonl") if l.strip()]
probes = [r for r in records if "top" in r]
cert = [r for r in probes if r.get("certificate", {}).get("passed")]
fell = [r for r in probes if not r.get("certificate", {}).get("passed")]
hv = lambda rs: statistics.mean(r["hvps"] for r in rs) if rs else float("nan")
print(f"every:10  probe_over_train {meta['probe_over_train']:.3f}  (train {meta['train_seconds']:.1f} s, "
      f"probe {meta['probe_seconds']:.1f} s)")
print(f"every:10  probes {len(probes)}: certified {len(cert)} ({hv(cert):.2f} HVPs each), fell back or full "
      f"{len(fell)} ({hv(fell):.2f} HVPs each); all {hv(probes):.2f} HVPs per probe")
ratio = [(r["step"], r["stability"]["lr_times_lambda_max"]) for r in probes]
cross = next((s for s, x in ratio if x >= 1.9), None)
if cross is not None:
    after = [x for s, x in ratio if cross < s <= cross + 800]
    print(f"every:10  lr*lambda_max crosses 1.9 at step {cross}; mean over the next 800 steps "
          f"{statistics.mean(after):.3f} (min {min(after):.3f}, max {max(after):.3f})")
else:
    print("every:10  lr*lambda_max never reaches 1.9")
tracked = {r["step"]: r for r in probes}
cold = {r["step"]: r for r in (json.loads(l) for l in open(f"{run}/cold.jsonl") if l.strip()) if "top" in r}
gaps = []
for step, c in sorted(cold.items()):
    t = tracked.get(step)
    if t is None:
        continue
    ref = c["top"]["values"][0]
    gap = abs(t["top"]["values"][0] - ref) / abs(ref)
    gaps.append(gap)
    how = "certified" if t.get("certificate", {}).get("passed") else "full"
    print(f"  step {step:5d}: tracked {t['top']['values'][0]:.6f} ({how}), cold float64 {ref:.6f}, "
          f"relative gap {gap:.2e}, cold converged {c['top']['converged']}")
print(f"every:10  max relative gap to cold float64 solves: {max(gaps):.2e} over {len(gaps)} checkpoints")
PY
fi

if [[ $skip != *" every1 "* ]]; then
  train "$out_dir/every1" "$config" --set curvature.at=every:1 --set train.steps="$every1_steps" \
    --set train.checkpoint_every=0
  "$python" - "$out_dir/every1" <<'PY'
import json, sys, statistics
run = sys.argv[1]
meta = json.load(open(f"{run}/meta.json"))
probes = [json.loads(l) for l in open(f"{run}/curvature.jsonl") if l.strip()]
probes = [r for r in probes if "top" in r]
passed = sum(1 for r in probes if r.get("certificate", {}).get("passed"))
print(f"every:1   probe_over_train {meta['probe_over_train']:.3f} over {meta['total_steps']} steps; "
      f"{statistics.mean(r['hvps'] for r in probes):.2f} HVPs per probe; {passed}/{len(probes)} certified")
PY
fi

if [[ $skip != *" batch "* ]]; then
  train "$out_dir/batch10" "$root/experiments/fmnist-quick/base.ini" --set schedule.policy=constant \
    --set schedule.lr=0.05 --set schedule.momentum=0.9 --set train.epochs="$fmnist_epochs" \
    --set curvature.at=end --set curvature.trace=none --set curvature.sharpness=none \
    --set curvature.test_probe=none --set curvature.batch_sharpness=every:10
  "$python" - "$out_dir/batch10" <<'PY'
import json, sys, statistics
run = sys.argv[1]
meta = json.load(open(f"{run}/meta.json"))
records = [json.loads(l) for l in open(f"{run}/curvature.jsonl") if l.strip()]
batch = [r for r in records if "batch_sharpness" in r]
end = sum(r.get("seconds", 0) for r in records if "top" in r)
overhead = (meta["probe_seconds"] - end) / meta["train_seconds"]
fell = sum(1 for r in batch if r["batch_sharpness"]["certificate"]["fell_back"])
print(f"batch sharpness every:10 on fmnist-quick: overhead {overhead:.3f} of train_seconds "
      f"({meta['train_seconds']:.1f} s, {meta['total_steps']} steps); {len(batch)} measurements, "
      f"{statistics.mean(r['hvps'] for r in batch):.2f} HVPs each, {fell} fell back; "
      f"lambda_max from {min(r['batch_sharpness']['lambda_max'] for r in batch):.2f} "
      f"to {max(r['batch_sharpness']['lambda_max'] for r in batch):.2f}")
PY
fi
