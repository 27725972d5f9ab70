#!/usr/bin/python3
"""curvtrack spectrum against the real PyHessian, end to end, on PyHessian's default workload.

Both tools, alternately (the order swaps every repeat), REPEATS times, as whole processes:
  (i)  curvtrack spectrum --model M --probe train:first:N --top-k 5 --trace TRACE --esd 100x1
       --dtype DTYPE --threads T            (TRACE default hutchpp:100, DTYPE default float32)
  (ii) scripts/bench/pyhessian_run.py: /usr/bin/python3 from interpreter start, the real PyHessian
       from $PYHESSIAN_PATH: hessian(model, criterion, data=(x, y), cuda=False), then
       .eigenvalues(top_n=5), .trace(), .density()
plus any curvtrack variants given with --variant "NAME=EXTRA ARGS" (they replace flags of (i)).
One ARPACK run (reference.py --arpack, float64, tol 1e-8, k=5) gives the top-5 yardstick.

Prints medians over the repeats: whole-process wall seconds and the ratio curvtrack/PyHessian
(of the medians, and the median of each repeat's own ratio with its range),
the phases each tool timed itself (process start, data, model, operator, solves), HVPs, and the
top-5 relative error against ARPACK (largest over the five values and the repeats).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="mlp_784_64_64_10_tanh.pt")
    p.add_argument("--n", type=int, default=2048)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--curvtrack", default=os.environ.get("CURVTRACK", os.path.join(ROOT, "build/tools/curvtrack/curvtrack")))
    p.add_argument("--python", default=os.environ.get("PYTHON", "/usr/bin/python3"))
    p.add_argument("--dtype", default="float32", help="curvtrack's dtype (PyHessian works in float32)")
    p.add_argument("--trace", default="hutchpp:100", help="curvtrack's --trace")
    p.add_argument("--variant", action="append", default=[],
                   help='extra curvtrack runs in the same alternation: "NAME=--flag value ...", e.g. '
                        '"auto=--trace hutchinson:auto:0.2:100" (each flag replaces the base value); a first '
                        'word "binary=PATH" runs another curvtrack build (a before/after comparison)')
    p.add_argument("--out-dir", default=None)
    p.add_argument("--arpack-json", default=None, help="reuse an earlier reference.py --arpack document")
    args = p.parse_args()
    if not os.path.isfile(args.model):
        args.model = os.path.join(ROOT, "tests/fixtures/models", args.model)
    if not os.environ.get("PYHESSIAN_PATH"):
        sys.exit("set PYHESSIAN_PATH to the folder holding the real pyhessian package (see scripts/bench/README.md)")
    return args


def log(message):
    print(message, file=sys.stderr, flush=True)


def timed(command, stdout_path, env=None):
    start = time.perf_counter()
    with open(stdout_path, "w") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, text=True, env=env)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return wall


def with_flags(command, extra):
    """`command` with each "--flag value" pair of `extra` replacing the flag's value, or appended."""
    out = list(command)
    for flag, value in zip(extra[::2], extra[1::2]):
        if flag in out:
            out[out.index(flag) + 1] = value
        else:
            out += [flag, value]
    return out


def main():
    a = parse_args()
    out = a.out_dir or tempfile.mkdtemp(prefix="compare_pyhessian.")
    os.makedirs(out, exist_ok=True)
    log(f"model {a.model}, train:first:{a.n}, {a.threads} threads, {a.repeats} repeats; files in {out}")

    arpack_path = a.arpack_json or os.path.join(out, "arpack.json")
    if not a.arpack_json:
        log("ARPACK reference (float64, tol 1e-8, k=5) ...")
        timed([a.python, os.path.join(HERE, "reference.py"), "--model", a.model, "--n", str(a.n),
               "--threads", str(a.threads), "--arpack", "--arpack-k", "5"], arpack_path)
    arpack = next(r for r in json.load(open(arpack_path))["arpack"] if r["k"] == 5)
    reference = arpack["values"]

    base = [a.curvtrack, "spectrum", "--model", a.model, "--probe", f"train:first:{a.n}", "--top-k", "5",
            "--trace", a.trace, "--esd", "100x1", "--dtype", a.dtype, "--threads", str(a.threads), "--quiet"]
    tools = {"curvtrack": base}
    for variant in a.variant:
        name, _, extra = variant.partition("=")
        words = extra.split()
        command = list(base)
        if words and words[0].startswith("binary="):
            command[0] = words.pop(0)[len("binary="):]
        tools[f"curvtrack {name}"] = with_flags(command, words)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    pyhessian = [a.python, os.path.join(HERE, "pyhessian_run.py"), "--model", a.model, "--n", str(a.n),
                 "--threads", str(a.threads)]

    runs = {name: [] for name in ["PyHessian"] + list(tools)}
    for r in range(a.repeats):
        order = list(runs) if r % 2 == 0 else list(runs)[::-1]
        for name in order:
            path = os.path.join(out, f"{name.replace(' ', '_')}_{r}.json")
            if name == "PyHessian":
                wall = timed(pyhessian, path, env)
            else:
                wall = timed(tools[name] + ["--out", path], os.devnull, env)
            document = json.load(open(path))
            runs[name].append((wall, document))
            log(f"repeat {r + 1}/{a.repeats} {name}: {wall:.2f}s")

    med = statistics.median

    def rel_error(values):
        values = sorted(values, reverse=True)
        return max(abs(v - ref) / abs(ref) for v, ref in zip(values, reference))

    def phases(name):
        rows = {}
        for wall, d in runs[name]:
            p = d["phase_seconds"]
            if name == "PyHessian":
                parts = {"start": p["start"] + p["import"], "data": p["data"], "model": p["model"],
                         "operator": p["operator"], "determinism": 0.0, "top": p["top"], "trace": p["trace"],
                         "density": p["density"]}
            else:
                parts = {"start": p["start"], "data": p["data"], "model": p["model"], "operator": p["operator"],
                         "determinism": p["determinism_check"], "top": p.get("top", 0.0),
                         "trace": p.get("trace", 0.0), "density": p.get("esd", 0.0)}
            parts["exit, other"] = wall - sum(parts.values())
            parts["whole process"] = wall
            for k, v in parts.items():
                rows.setdefault(k, []).append(v)
        return {k: med(v) for k, v in rows.items()}

    names = list(runs)
    table = {name: phases(name) for name in names}
    ph = table["PyHessian"]["whole process"]
    print(f"model {os.path.basename(a.model)} ({json.load(open(arpack_path))['settings']['parameters']} parameters), "
          f"probe train:first:{a.n}, {a.threads} threads, median of {a.repeats} alternating repeats")
    print(f"curvtrack: {' '.join(base[1:]).replace(a.model, 'M')}")
    for variant in a.variant:
        print(f"  variant {variant}")
    print(f"ARPACK top-5 (float64, tol 1e-8, {arpack['matvecs']} matvecs): "
          + " ".join(f"{v:.8g}" for v in reference))
    print()
    width = max(18, max(len(n) for n in names) + 1)
    print(f"{'seconds (median)':<18}" + "".join(f"{n:>{width}}" for n in names))
    labels = {"start": "process start", "data": "data", "model": "model", "operator": "operator/graph",
              "determinism": "determinism check", "top": "top-5", "trace": "trace", "density": "density",
              "exit, other": "exit, other", "whole process": "WHOLE PROCESS"}
    for key, label in labels.items():
        print(f"{label:<18}" + "".join(f"{table[n][key]:>{width}.3f}" for n in names))
    print(f"{'ratio to PyHessian':<18}" + "".join(f"{table[n]['whole process'] / ph:>{width}.3f}" for n in names))
    # Each repeat's runs follow one another, so a drift in the machine's speed (a shared host) moves
    # both sides of a repeat's ratio together; the median of those ratios is the steadier figure.
    pair_ratios = {n: [w / p for (w, _), (p, _) in zip(runs[n], runs["PyHessian"])] for n in names}
    print(f"{'ratio per repeat':<18}" + "".join(f"{med(pair_ratios[n]):>{width}.3f}" for n in names))
    print(f"{'  (min - max)':<18}" + "".join(
        f"{f'{min(pair_ratios[n]):.2f} - {max(pair_ratios[n]):.2f}':>{width}}" for n in names))
    print()
    print("accuracy and work (repeat 1; top-5 error: largest over values and repeats):")
    for name in names:
        docs = [d for _, d in runs[name]]
        if name == "PyHessian":
            errors = [rel_error(d["top_values"]) for d in docs]
            t = docs[0]["trace"]
            print(f"  {name:<22} top-5 rel err {max(errors):.1e}  trace {t['value']:.4g} +- {t['standard_error']:.2g} SE "
                  f"({t['samples']} Hutchinson samples)  density {docs[0]['density']['steps']} steps")
        else:
            errors = [rel_error(d["top"]["values"]) for d in docs]
            d = docs[0]
            t = d["trace"]
            target = ""
            if "target_relative_se" in t:
                target = f", target {t['target_relative_se']:g} {'reached' if t['target_reached'] else 'NOT reached'}"
            print(f"  {name:<22} top-5 rel err {max(errors):.1e} ({d['top']['hvps']} HVPs, "
                  f"{'converged' if all(x['top']['converged'] for x in docs) else 'NOT converged'}, max rel residual "
                  f"{max(max(x['top']['relative_residuals']) for x in docs):.1e})  trace {t['value']:.4g} +- "
                  f"{t['standard_error']:.2g} SE ({t['method']}, {t['hvps']} HVPs{target})  density {d['esd']['hvps']} HVPs")
    print()
    print("process start: curvtrack = process start (kernel start time) to its first phase: program loading and")
    print("  static initialisation (libtorch); PyHessian = interpreter start + importing torch, numpy and pyhessian.")
    print("exit, other: the driver's wall time minus the phases (argument parsing, writing JSON, teardown, exit).")
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump({"table": table, "walls": {n: [w for w, _ in runs[n]] for n in names},
                   "ratios_per_repeat": pair_ratios}, f, indent=2)


if __name__ == "__main__":
    main()
