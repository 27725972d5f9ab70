#!/usr/bin/env bash
# PyHessian's default workload (top-5 eigenvalues, trace, density) done two ways on the same
# model, probe set and thread count, alternately, REPEATS times each:
#   (i)  scripts/bench/reference.py --pyhessian  (PyHessian's algorithms in PyTorch, float32)
#   (ii) curvtrack spectrum --top-k 5 --trace hutchpp:100 --esd 100x1 --dtype float64
# plus one ARPACK run (reference.py --arpack, float64, tol 1e-8) whose converged top-5 values
# are the yardstick for both methods' accuracy.  Prints a table of median seconds and accuracy.
#
# Usage: scripts/bench/compare_pyhessian.sh [MODEL] [N] [THREADS] [REPEATS]
#   MODEL    .pt file or a name in tests/fixtures/models/ (default mlp_784_64_64_10_tanh.pt)
#   N        probe = first N training examples (default 2048)
#   THREADS  torch threads for both tools (default 2)
#   REPEATS  runs of each method, alternating (default 3)
# Environment: CURVTRACK (binary; default build-main/tools/curvtrack/curvtrack, falls back to
#   build/tools/curvtrack/curvtrack), PYTHON (default /usr/bin/python3, needs torch + scipy),
#   OUT_DIR (where the JSON documents go; default a fresh folder under /tmp),
#   CURVTRACK_DTYPE (default float64), ARPACK_K (default "1,5"; must include 5).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
model=${1:-mlp_784_64_64_10_tanh.pt}
n=${2:-2048}
threads=${3:-2}
repeats=${4:-3}
python=${PYTHON:-/usr/bin/python3}
ct_dtype=${CURVTRACK_DTYPE:-float64}
arpack_k=${ARPACK_K:-1,5}
if [[ ! -f $model && -f $root/tests/fixtures/models/$model ]]; then model=$root/tests/fixtures/models/$model; fi
[[ -f $model ]] || { echo "model $model not found" >&2; exit 2; }
model=$(cd "$(dirname "$model")" && pwd)/$(basename "$model")
if [[ -z ${CURVTRACK:-} ]]; then
  CURVTRACK=$root/build-main/tools/curvtrack/curvtrack
  [[ -x $CURVTRACK || ! -x $root/build/tools/curvtrack/curvtrack ]] || CURVTRACK=$root/build/tools/curvtrack/curvtrack
fi
out_dir=${OUT_DIR:-$(mktemp -d /tmp/compare_pyhessian.XXXXXX)}
mkdir -p "$out_dir"
reference=$root/scripts/bench/reference.py

# The binary may be briefly missing while it is being rebuilt: wait up to 10 minutes.
wait_for_binary() {
  local waited=0
  while [[ ! -x $CURVTRACK ]]; do
    (( waited < 600 )) || { echo "$CURVTRACK missing for 10 minutes" >&2; exit 2; }
    echo "waiting for $CURVTRACK ..." >&2
    sleep 20; waited=$((waited + 20))
  done
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

echo "model $model, probe train:first:$n, $threads threads, $repeats repeats; JSON in $out_dir" >&2

echo "== ARPACK reference (float64, tol 1e-8, k=$arpack_k)" >&2
"$python" "$reference" --model "$model" --n "$n" --threads "$threads" --arpack --arpack-k "$arpack_k" \
  > "$out_dir/arpack.json"

: > "$out_dir/wall.txt"
for r in $(seq 1 "$repeats"); do
  echo "== repeat $r/$repeats: PyHessian-style (float32)" >&2
  t0=$(now)
  "$python" "$reference" --model "$model" --n "$n" --threads "$threads" --pyhessian --pyhessian-residuals \
    > "$out_dir/pyhessian_$r.json"
  echo "pyhessian $r $(elapsed "$t0" "$(now)")" >> "$out_dir/wall.txt"

  echo "== repeat $r/$repeats: curvtrack spectrum ($ct_dtype)" >&2
  wait_for_binary
  t0=$(now)
  "$CURVTRACK" spectrum --model "$model" --probe "train:first:$n" --top-k 5 --trace hutchpp:100 --esd 100x1 \
    --dtype "$ct_dtype" --threads "$threads" --out "$out_dir/curvtrack_$r.json"
  echo "curvtrack $r $(elapsed "$t0" "$(now)")" >> "$out_dir/wall.txt"
done

"$python" - "$out_dir" "$repeats" <<'EOF'
import json, statistics, sys
out, repeats = sys.argv[1], int(sys.argv[2])
wall = {"pyhessian": {}, "curvtrack": {}}
for line in open(f"{out}/wall.txt"):
    who, r, s = line.split()
    wall[who][int(r)] = float(s)
arpack = json.load(open(f"{out}/arpack.json"))
ref = next(a for a in arpack["arpack"] if a["k"] == 5)
ref_values = ref["values"]
ph = [json.load(open(f"{out}/pyhessian_{r}.json"))["pyhessian"] for r in range(1, repeats + 1)]
ct = [json.load(open(f"{out}/curvtrack_{r}.json")) for r in range(1, repeats + 1)]
med = statistics.median

def rel_errors(values):
    return [abs(v - a) / abs(a) for v, a in zip(values, ref_values)]

ph_err = [max(rel_errors(p["top_values_sorted"])) for p in ph]
ct_err = [max(rel_errors(c["top"]["values"])) for c in ct]
ph_res = [max(p["relative_residuals_in_order_found"]) for p in ph]
ct_res = [max(c["top"]["relative_residuals"]) for c in ct]
ph_solve = [p["parts_seconds"] for p in ph]
ct_solve = [c["top"]["seconds"] + c["trace"]["seconds"] + c["esd"]["seconds"] for c in ct]
ph_wall = [wall["pyhessian"][r] for r in range(1, repeats + 1)]
ct_wall = [wall["curvtrack"][r] for r in range(1, repeats + 1)]
p0, c0 = ph[0], ct[0]
s = arpack["settings"]
print(f"model {s['model']}  ({s['parameters']} parameters), probe {s['probe']}, {s['threads']} threads, "
      f"median of {repeats}")
print(f"ARPACK eigsh k=5 which=LA tol={ref['tol']:g} ncv={ref['ncv']} (float64): {ref['matvecs']} matvecs, "
      f"{ref['seconds']:.1f}s, max rel residual {ref['max_relative_residual']:.1e}")
for a in arpack["arpack"]:
    if a["k"] != 5:
        print(f"ARPACK eigsh k={a['k']}: {a['matvecs']} matvecs, {a['seconds']:.1f}s, "
              f"max rel residual {a['max_relative_residual']:.1e}")
print("ARPACK top-5: " + " ".join(f"{v:.8g}" for v in ref_values))
print()
fmt = "{:<28} {:>10} {:>10} {:>26} {:>8} {:>12} {:>12}"
print(fmt.format("method", "wall s", "solve s", "HVPs eig+trace+esd=total", "", "top5 relerr", "top5 relres"))
def hv(e, t, d):
    return f"{e}+{t}+{d}={e + t + d}"
print(fmt.format("PyHessian-style f32 (torch)", f"{med(ph_wall):.2f}", f"{med(ph_solve):.2f}",
                 hv(p0['parts']['eigenvalues']['hvps'], p0['parts']['trace']['hvps'], p0['parts']['density']['hvps']),
                 "", f"{max(ph_err):.1e}", f"{max(ph_res):.1e}"))
print(fmt.format(f"curvtrack spectrum {c0['settings'].get('dtype', '?')}", f"{med(ct_wall):.2f}", f"{med(ct_solve):.2f}",
                 hv(c0['top']['hvps'], c0['trace']['hvps'], c0['esd']['hvps']),
                 "", f"{max(ct_err):.1e}", f"{max(ct_res):.1e}"))
print(fmt.format("ratio curvtrack/PyHessian", f"{med(ct_wall) / med(ph_wall):.2f}", f"{med(ct_solve) / med(ph_solve):.2f}",
                 "", "", "", ""))
print()
print("wall s: whole process (interpreter/library start-up, data loading, graph build; PyHessian-style also spends")
print("        5 untimed-in-'solve' HVPs on residuals, curvtrack 2 on its determinism check).")
print("solve s: eigen + trace + density parts only, as each tool times them.")
print("top5 relerr: max over the 5 values and over repeats of |value - ARPACK| / |ARPACK| (values sorted descending).")
print("top5 relres: max ||Hv - lambda v|| / |lambda|: PyHessian-style = true residual of its vectors in its own float32")
print("             operator (extra HVPs after timing); curvtrack = its reported residuals.")
print()
print("per part (repeat 1):")
pe, pt, pd = p0["parts"]["eigenvalues"], p0["parts"]["trace"], p0["parts"]["density"]
print(f"  PyHessian-style eigen  {pe['hvps']:4d} HVPs {pe['seconds']:7.2f}s  iterations per eigenvalue "
      f"{pe['iterations_per_eigenvalue']}  values(sorted) " + " ".join(f"{v:.6g}" for v in p0["top_values_sorted"]))
print(f"  curvtrack top-5        {c0['top']['hvps']:4d} HVPs {c0['top']['seconds']:7.2f}s  "
      f"{'converged' if c0['top']['converged'] else 'NOT converged'}  values " + " ".join(f"{v:.6g}" for v in c0["top"]["values"]))
print(f"  PyHessian-style trace  {pt['hvps']:4d} HVPs {pt['seconds']:7.2f}s  {pt['value']:.6g} +- {pt['standard_error'] or float('nan'):.2g} SE "
      f"(Hutchinson, {pt['samples']} samples)")
print(f"  curvtrack trace        {c0['trace']['hvps']:4d} HVPs {c0['trace']['seconds']:7.2f}s  {c0['trace']['value']:.6g} +- "
      f"{c0['trace']['standard_error']:.2g} SE ({c0['trace']['method']})")
print(f"  PyHessian-style density{pd['hvps']:4d} HVPs {pd['seconds']:7.2f}s  SLQ trace {pd['slq_trace']:.6g} (1 run)")
print(f"  curvtrack density      {c0['esd']['hvps']:4d} HVPs {c0['esd']['seconds']:7.2f}s  SLQ trace {c0['esd']['trace_estimate']:.6g} (1 run)")
print(f"  per-repeat solve s: PyHessian-style {[round(x, 2) for x in ph_solve]}, curvtrack {[round(x, 2) for x in ct_solve]}")
print(f"  per-repeat wall s:  PyHessian-style {[round(x, 2) for x in ph_wall]}, curvtrack {[round(x, 2) for x in ct_wall]}")
EOF
