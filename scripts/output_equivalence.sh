#!/usr/bin/env bash
# Checks that two builds of curvtrack write the same results: a fixed probed training run
# (trace, density, bottom eigenvalues, test-set Hessian, both sharpness measures, loss slices)
# must give byte-identical config.ini, metrics.csv and curvature.jsonl (the last once its
# wall-clock fields are removed), and `spectrum` the same JSON (timings and revision aside).
#   bash scripts/output_equivalence.sh OLD_CURVTRACK NEW_CURVTRACK [WORK_DIR]
# Exit status 0 when everything matches; the differing files are named otherwise.
set -euo pipefail
old=$1 new=$2
work=${3:-$(mktemp -d)}
mkdir -p "$work"
cat > "$work/run.ini" <<'INI'
[data]
train_examples = 2048
test_examples = 1000
batch_size = 64
[model]
spec = mlp:784-32-10:tanh
[schedule]
policy = onecycle
lr_max = 0.2
[train]
steps = 96
log_every = 8
checkpoint_every = 40
threads = 1
[curvature]
at = 0, 0.5, peak, end
probe = train:first:256
test_probe = test:first:256
top_k = 2
bottom_k = 1
trace = hutchpp
trace_samples = 12
esd = 12x2
test_hessian = true
sharpness = both
sharpness_steps = 3
slices = both
slice_points = 5
[run]
seed = 3
INI
strip='
import json, sys
def clean(value):
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()
                if k not in ("seconds", "total_seconds", "git_revision", "curvtrack_version", "started", "ended", "created")}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value
for line in open(sys.argv[1]):
    line = line.strip()
    if line:
        print(json.dumps(clean(json.loads(line)), sort_keys=True))
'
status=0
for build in old new; do
  binary=${!build}
  rm -rf "$work/$build"
  "$binary" train --config "$work/run.ini" --run-dir "$work/$build" --quiet
  python3 -c "$strip" "$work/$build/curvature.jsonl" > "$work/$build.curvature"
  cp "$work/$build/config.ini" "$work/$build.config"
  # metrics.csv: the seconds column is wall-clock time.
  python3 - "$work/$build/metrics.csv" > "$work/$build.metrics" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
keep = [i for i, name in enumerate(rows[0]) if "seconds" not in name]
for row in rows:
    print(",".join(row[i] for i in keep))
PY
  "$binary" spectrum --model mlp:784-32-10:tanh --probe train:first:512 --top-k 3 --bottom-k 1 \
    --trace hutchpp:30 --esd 20x2 --dtype float64 --threads 1 --quiet --out "$work/$build.spectrum.json"
  python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))" "$work/$build.spectrum.json" > "$work/$build.spectrum.line"
  python3 -c "$strip" "$work/$build.spectrum.line" > "$work/$build.spectrum"
done
for part in config metrics curvature spectrum; do
  if cmp -s "$work/old.$part" "$work/new.$part"; then
    echo "equivalence: $part identical ($(wc -l < "$work/new.$part") lines)"
  else
    echo "equivalence: $part DIFFERS: diff $work/old.$part $work/new.$part"
    status=1
  fi
done
exit $status
