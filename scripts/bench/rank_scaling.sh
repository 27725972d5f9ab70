#!/usr/bin/env bash
# Speed-up of the HVP over a probe set split across ranks (issue: data-parallel HVP).
# For R = 1 .. MAX_RANKS, runs `curvtrack spectrum` as R processes (RANK / WORLD_SIZE on
# localhost, Gloo), one thread each, doing HVPS Hutchinson products on the same probe set,
# REPEATS times alternating R; the time per HVP is the trace phase's seconds / its HVPs (no
# loading or setup). Prints median seconds per HVP, speed-up over R = 1 and efficiency.
#
# Usage: scripts/bench/rank_scaling.sh [MODEL] [N] [MAX_RANKS] [REPEATS] [HVPS]
#   MODEL      a native spec or .pt (default cnn:16-32:relu, compute-bound)
#   N          probe = first N training examples of Fashion-MNIST (default 2048)
#   MAX_RANKS  default: the number of cores
#   REPEATS    default 3;  HVPS  default 20
# Environment: CURVTRACK (binary; default build-main/tools/curvtrack/curvtrack, falls back to
#   build/tools/curvtrack/curvtrack), DTYPE (default float64), PYTHON (default /usr/bin/python3).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
model=${1:-cnn:16-32:relu}
n=${2:-2048}
max_ranks=${3:-$(nproc)}
repeats=${4:-3}
hvps=${5:-20}
dtype=${DTYPE:-float64}
python=${PYTHON:-/usr/bin/python3}
curvtrack=${CURVTRACK:-$root/build-main/tools/curvtrack/curvtrack}
[[ -x $curvtrack ]] || curvtrack=$root/build/tools/curvtrack/curvtrack
[[ -x $curvtrack ]] || { echo "curvtrack binary not found (set CURVTRACK)" >&2; exit 2; }
out=$(mktemp -d /tmp/curvtrack-rank-scaling.XXXXXX)

run_ranks() {  # R REPEAT -> out/R-REPEAT.json
  local ranks=$1 repeat=$2 port=$((29000 + RANDOM % 2000)) pids=()
  for ((rank = ranks - 1; rank >= 0; rank--)); do
    RANK=$rank WORLD_SIZE=$ranks MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      "$curvtrack" spectrum --model "$model" --probe "train:first:$n" --dtype "$dtype" --top-k 0 \
      --trace "hutchinson:$hvps" --esd none --threads 1 --quiet --out "$out/$ranks-$repeat.json" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
}

for ((repeat = 0; repeat < repeats; repeat++)); do
  for ((ranks = 1; ranks <= max_ranks; ranks++)); do run_ranks "$ranks" "$repeat"; done
done

"$python" - "$out" "$max_ranks" "$repeats" "$model" "$n" "$dtype" <<'PY'
import json, statistics, sys
out, max_ranks, repeats, model, n, dtype = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:]
print(f"HVP over {n} probe examples, {model}, {dtype}, one thread per rank, median of {repeats}")
print("ranks  s/HVP     speed-up  efficiency  (each repeat)")
base = None
for ranks in range(1, max_ranks + 1):
    per_hvp = []
    for repeat in range(repeats):
        trace = json.load(open(f"{out}/{ranks}-{repeat}.json"))["trace"]
        per_hvp.append(trace["seconds"] / trace["hvps"])
    median = statistics.median(per_hvp)
    base = base or median
    print(f"{ranks:5d}  {median:.4f}  {base / median:8.2f}  {base / median / ranks:10.2f}  "
          + " ".join(f"{x:.4f}" for x in per_hvp))
PY
