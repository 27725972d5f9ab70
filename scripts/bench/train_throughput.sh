#!/usr/bin/env bash
# Training throughput, side by side: `curvtrack train` against a plain PyTorch loop
# (scripts/bench/train_throughput.py) on the same model, batch, thread count and number of steps
# on Fashion-MNIST (SGD lr 0.05 momentum 0.9, batch 128, float32, constant schedule).
# For each model the two sides alternate (the order flips every repeat), REPEATS times each;
# prints median steps/s and the ratios.
#
#   curvtrack: `curvtrack train --threads T` with evaluation, logging and periodic checkpoints
#     pushed out of the way; steps/s = S / train_seconds from meta.json.  train_seconds excludes
#     start-up and data loading but still contains the per-step metrics bookkeeping, one
#     evaluation on 100 test images at step 0 and one at the end, and one checkpoint write.
#   PyTorch: S timed steps after 20 warm-up steps, "bare" (forward, backward, SGD step) and
#     "bookkeeping" (also the weight norm, loss, batch accuracy and gradient norm every step, as
#     curvtrack's trainer computes them).
#
# Usage: scripts/bench/train_throughput.sh [REPEATS]   (default 3)
# Environment: CURVTRACK (binary; default build-main/tools/curvtrack/curvtrack, falls back to
#   build/tools/curvtrack/curvtrack), PYTHON (default /usr/bin/python3, needs torch),
#   THREADS (default 1), MLP_STEPS (default 2000), CNN_STEPS (default 500),
#   MODELS (default "mlp:784-64-64-10:tanh cnn:8-16:relu"; steps: MLP_STEPS for mlp:*, else CNN_STEPS),
#   OUT_DIR (run directories and JSON; default a fresh folder under /tmp),
#   MALLOC_FIXED=1: export MALLOC_MMAP_THRESHOLD_ = MALLOC_TRIM_THRESHOLD_ = 256 MiB for both sides
#     (glibc then stops returning the large per-step activation buffers to the kernel; by default
#     the Python process page-faults them back in every step, see README.md).
# Both sides get OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = MKL_NUM_THREADS = THREADS.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
repeats=${1:-3}
python=${PYTHON:-/usr/bin/python3}
threads=${THREADS:-1}
mlp_steps=${MLP_STEPS:-2000}
cnn_steps=${CNN_STEPS:-500}
models=${MODELS:-mlp:784-64-64-10:tanh cnn:8-16:relu}
if [[ -z ${CURVTRACK:-} ]]; then
  CURVTRACK=$root/build-main/tools/curvtrack/curvtrack
  [[ -x $CURVTRACK || ! -x $root/build/tools/curvtrack/curvtrack ]] || CURVTRACK=$root/build/tools/curvtrack/curvtrack
fi
[[ -x $CURVTRACK ]] || { echo "curvtrack binary $CURVTRACK not found" >&2; exit 2; }
out_dir=${OUT_DIR:-$(mktemp -d /tmp/train_throughput.XXXXXX)}
mkdir -p "$out_dir"
bench=$root/scripts/bench/train_throughput.py
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
malloc_note="glibc malloc defaults"
if [[ ${MALLOC_FIXED:-0} == 1 ]]; then
  export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=268435456
  malloc_note="MALLOC_MMAP_THRESHOLD_=MALLOC_TRIM_THRESHOLD_=268435456 on both sides"
fi

busy_others() {  # processes (other than this benchmark) using >= 20% CPU right now
  ps -eo pid=,pcpu=,comm= | awk -v me="$$" '$2 >= 20 && $1 != me { n++; s = s " " $3 "(" $2 "%)" }
    END { printf "%d%s", n, (n ? ":" s : "") }'
}
cat /proc/loadavg > "$out_dir/load_before.txt"
busy_others > "$out_dir/busy_before.txt"
echo "curvtrack $CURVTRACK; python $python; $threads thread(s); $repeats repeats; output in $out_dir" >&2

: > "$out_dir/runs.txt"
m=0
for model in $models; do
  m=$((m + 1))
  case $model in mlp:*) steps=$mlp_steps ;; *) steps=$cnn_steps ;; esac
  for r in $(seq 1 "$repeats"); do
    # Flip the order every repeat so slow drifts in the background load hit both sides alike.
    if (( r % 2 == 1 )); then order="curvtrack pytorch"; modes=bare,bookkeeping
    else order="pytorch curvtrack"; modes=bookkeeping,bare; fi
    for side in $order; do
      if [[ $side == curvtrack ]]; then
        run=$out_dir/ct_${m}_$r
        rm -rf "$run"
        echo "== $model repeat $r/$repeats: curvtrack train ($steps steps)" >&2
        "$CURVTRACK" train --run-dir "$run" --quiet --threads "$threads" --set "model.spec=$model" \
          --set data.batch_size=128 --set schedule.policy=constant --set schedule.lr=0.05 \
          --set "train.steps=$steps" --set train.eval_every=100000 --set train.log_every=100000 \
          --set train.checkpoint_every=0 --set data.test_examples=100
        echo "curvtrack $m $r $run/meta.json" >> "$out_dir/runs.txt"
      else
        echo "== $model repeat $r/$repeats: PyTorch ($modes, $steps steps)" >&2
        "$python" "$bench" --model "$model" --steps "$steps" --warmup 20 --batch 128 --lr 0.05 --momentum 0.9 \
          --threads "$threads" --modes "$modes" > "$out_dir/pt_${m}_$r.json"
        echo "pytorch $m $r $out_dir/pt_${m}_$r.json" >> "$out_dir/runs.txt"
      fi
    done
  done
done
cat /proc/loadavg > "$out_dir/load_after.txt"
busy_others > "$out_dir/busy_after.txt"

"$python" - "$out_dir" "$threads" "$malloc_note" <<'EOF'
import json, os, statistics, sys
out, threads, malloc_note = sys.argv[1], int(sys.argv[2]), sys.argv[3]
med = statistics.median
rows = {}  # model index -> {"model", "steps", "ct": [], "bare": [], "book": []}
for line in open(f"{out}/runs.txt"):
    side, m, r, path = line.split()
    doc = json.load(open(path))
    if side == "curvtrack":
        entry = rows.setdefault(m, {"ct": [], "bare": [], "book": []})
        entry["model"], entry["steps"] = doc["model"]["spec"], doc["steps_done"]
        entry["ct"].append(doc["steps_done"] / doc["train_seconds"])
        if doc.get("status") != "completed":
            print(f"WARNING: curvtrack run {path} ended with status {doc.get('status')}")
    else:
        entry = rows.setdefault(m, {"ct": [], "bare": [], "book": []})
        entry["model"], entry["steps"] = doc["model"], doc["steps"]
        for res in doc["results"]:
            entry["bare" if res["mode"] == "bare" else "book"].append(res["steps_per_second"])

cores = os.cpu_count()
load_before = open(f"{out}/load_before.txt").read().split()[:3]
load_after = open(f"{out}/load_after.txt").read().split()[:3]
busy_before = open(f"{out}/busy_before.txt").read().strip()
busy_after = open(f"{out}/busy_after.txt").read().strip()
loaded = max(float(load_before[0]), float(load_after[0])) >= 0.5 * cores or \
    not busy_before.startswith("0") or not busy_after.startswith("0")
n = len(next(iter(rows.values()))["ct"])
print(f"Training throughput, Fashion-MNIST, batch 128, SGD lr 0.05 momentum 0.9, float32, {threads} thread(s) "
      f"per side; {malloc_note}; median of {n} alternating repeats")
print(f"machine: {cores} cores; load average before {' '.join(load_before)}, after {' '.join(load_after)}; "
      f"other busy processes before {busy_before}; after {busy_after}")
if loaded:
    print("NOTE: the machine was LOADED by other work during these measurements; absolute rates are depressed "
          "and noisy, compare the ratios and the spread of the repeats.")
else:
    print("machine looked idle (load average below half the cores, no other busy process)")
print()
fmt = "{:<24} {:>6} {:>11} {:>11} {:>11} {:>11} {:>11}"
print(fmt.format("model", "steps", "curvtrack", "PyTorch", "PyTorch", "ct/bare", "ct/bookkp"))
print(fmt.format("", "", "steps/s", "bare", "+bookkeep", "ratio", "ratio"))
for m in sorted(rows, key=int):
    e = rows[m]
    ct, bare, book = med(e["ct"]), med(e["bare"]), med(e["book"])
    print(fmt.format(e["model"], e["steps"], f"{ct:.1f}", f"{bare:.1f}", f"{book:.1f}",
                     f"{ct / bare:.3f}", f"{ct / book:.3f}"))
print()
print("ratio = curvtrack steps/s / PyTorch steps/s (> 1: curvtrack faster).")
print("curvtrack steps/s = steps / meta.json train_seconds: includes the first (cold) step, the per-step metrics")
print("  (weight norm, loss, batch accuracy, gradient norm, progress string), test evaluation on 100 images at")
print("  step 0 and at the end, and the final checkpoint write; excludes start-up and data loading.")
print("PyTorch: timed steps after 20 untimed warm-up steps; 'bookkeeping' adds the same per-step weight norm, loss,")
print("  batch accuracy and gradient norm (float64, one .item() per tensor) as curvtrack's trainer.")
print()
print("per repeat (steps/s, in run order):")
for m in sorted(rows, key=int):
    e = rows[m]
    print(f"  {e['model']}: curvtrack " + " ".join(f"{v:.1f}" for v in e["ct"]) +
          " | bare " + " ".join(f"{v:.1f}" for v in e["bare"]) +
          " | bookkeeping " + " ".join(f"{v:.1f}" for v in e["book"]))
EOF
