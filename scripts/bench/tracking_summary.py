#!/usr/bin/env python3
"""Summaries of the runs scripts/bench/tracking_overhead.sh makes (standard library only).

  tracking_summary.py run DIR NAME     probe_over_train, HVPs per probe, the edge-of-stability plateau
  tracking_summary.py cold DIR         tracked values against DIR/cold.jsonl (cold float64 solves)
  tracking_summary.py compare A B      every probe value of run A against run B's at the same step
  tracking_summary.py untracked A U    run A's probe seconds over untracked run U's training seconds
  tracking_summary.py wall A U         run A's whole training loop against untracked run U's
  tracking_summary.py batch DIR        batch-sharpness overhead and HVPs
  tracking_summary.py batchwall B U    batch run B's whole loop (its end probe left out) against untracked U's
"""
import json
import statistics
import sys


def records(path):
    with open(path) as file:
        return [json.loads(line) for line in file if line.strip()]


def probes(run):
    return {r["step"]: r for r in records(f"{run}/curvature.jsonl") if "top" in r}


def meta(run):
    with open(f"{run}/meta.json") as file:
        return json.load(file)


def certified(record):
    return record.get("certificate", {}).get("passed", False)


def value(record):
    return record["top"]["values"][0]


def mean_hvps(rs):
    return statistics.mean(r["hvps"] for r in rs) if rs else float("nan")


def plateau(found, eta_limit=1.9, span=800):
    """First probe step with lr*lambda_max >= eta_limit, and the ratios over the next `span` steps."""
    ratio = [(step, r["stability"]["lr_times_lambda_max"]) for step, r in sorted(found.items())]
    cross = next((s for s, x in ratio if x >= eta_limit), None)
    after = [x for s, x in ratio if cross is not None and cross < s <= cross + span]
    return cross, after


def summarize_run(run, name):
    m = meta(run)
    found = probes(run)
    passed = [r for r in found.values() if certified(r)]
    other = [r for r in found.values() if not certified(r)]
    fell = [r for r in other if "certificate" in r]
    print(f"{name}: probe_over_train {m['probe_over_train']:.3f} (train {m['train_seconds']:.1f} s, "
          f"probe {m['probe_seconds']:.1f} s, {m['total_steps']} steps)")
    print(f"{name}: {len(found)} probes, {mean_hvps(list(found.values())):.2f} HVPs each; certified {len(passed)} "
          f"({mean_hvps(passed):.2f} HVPs each), certificate failed {len(fell)} ({mean_hvps(fell):.2f}), "
          f"full solve without an attempt {len(other) - len(fell)} ({mean_hvps([r for r in other if r not in fell]):.2f})")
    not_converged = sum(1 for r in found.values() if not r["top"]["converged"])
    print(f"{name}: {not_converged} probes not converged")
    cross, after = plateau(found)
    if cross is None:
        print(f"{name}: lr*lambda_max never reaches 1.9")
    else:
        print(f"{name}: lr*lambda_max crosses 1.9 at step {cross}; mean over the next 800 steps "
              f"{statistics.mean(after):.4f} (min {min(after):.3f}, max {max(after):.3f}, {len(after)} probes)")


def gaps(tracked, reference):
    out = []
    for step, ref in sorted(reference.items()):
        if step in tracked:
            out.append((step, abs(value(tracked[step]) - value(ref)) / abs(value(ref))))
    return out


def summarize_cold(run):
    tracked = probes(run)
    cold = {r["step"]: r for r in records(f"{run}/cold.jsonl") if "top" in r}
    found = gaps(tracked, cold)
    for step, gap in found:
        how = "certified" if certified(tracked[step]) else "full"
        print(f"  step {step:5d}: tracked {value(tracked[step]):.6f} ({how}), cold float64 {value(cold[step]):.6f} "
              f"(converged {cold[step]['top']['converged']}), relative gap {gap:.2e}")
    print(f"max relative gap to cold float64 solves: {max(g for _, g in found):.2e} over {len(found)} checkpoints")


def summarize_compare(run, reference):
    tracked = probes(run)
    only_certified = {s: r for s, r in tracked.items() if certified(r)}
    found = gaps(only_certified, probes(reference))
    worst = max(found, key=lambda pair: pair[1])
    print(f"certified values against the full solve of the same step: max relative gap {worst[1]:.2e} "
          f"(step {worst[0]}) over {len(found)} probes; median {statistics.median(g for _, g in found):.2e}")
    train_a = records_csv_losses(run)
    train_b = records_csv_losses(reference)
    print(f"training trajectories identical (metrics.csv train_loss): {train_a == train_b}")


def records_csv_losses(run):
    with open(f"{run}/metrics.csv") as file:
        lines = file.read().splitlines()
    column = lines[0].split(",").index("train_loss")
    return [line.split(",")[column] for line in lines[1:]]


def summarize_untracked(run, untracked):
    probe, plain = meta(run)["probe_seconds"], meta(untracked)["train_seconds"]
    print(f"probe seconds {probe:.1f} over an untracked run's training seconds {plain:.1f}: {probe / plain:.3f}")


def summarize_wall(run, untracked):
    tracked, plain = meta(run), meta(untracked)
    loop = tracked["train_seconds"] + tracked["probe_seconds"]
    graph = tracked.get("step_graph_seconds", 0.0)
    print(f"whole training loop {loop:.1f} s tracked (of which {graph:.1f} s the probed steps' backward passes on "
          f"their kept graphs, counted as training) against {plain['train_seconds']:.1f} s untracked: "
          f"overhead {loop / plain['train_seconds'] - 1:.3f} (probe_over_train {tracked['probe_over_train']:.3f})")


def end_probe_seconds(run):
    """Seconds of a batch-sharpness run's ordinary probes (its end probe), to leave out."""
    return sum(r.get("seconds", 0) for r in records(f"{run}/curvature.jsonl") if "top" in r)


def summarize_batch(run):
    m = meta(run)
    batch = [r for r in records(f"{run}/curvature.jsonl") if "batch_sharpness" in r]
    end = end_probe_seconds(run)
    overhead = (m["probe_seconds"] - end) / m["train_seconds"]
    fell = sum(1 for r in batch if r["batch_sharpness"]["certificate"]["fell_back"])
    values = [r["batch_sharpness"]["lambda_max"] for r in batch]
    print(f"batch sharpness every:10: overhead {overhead:.3f} of train_seconds ({m['train_seconds']:.1f} s, "
          f"{m['total_steps']} steps, {m['probe_seconds'] - end:.1f} s measuring); {len(batch)} measurements, "
          f"{mean_hvps(batch):.2f} HVPs each, {fell} fell back; lambda_max from {min(values):.2f} to {max(values):.2f}")


def summarize_batch_wall(run, untracked):
    m, plain = meta(run), meta(untracked)
    loop = m["train_seconds"] + m["probe_seconds"] - end_probe_seconds(run)
    print(f"batch sharpness every:10: whole loop {loop:.1f} s (end probe left out) against {plain['train_seconds']:.1f} s "
          f"untracked: overhead {loop / plain['train_seconds'] - 1:.3f}")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"run": summarize_run, "cold": summarize_cold, "compare": summarize_compare,
     "untracked": summarize_untracked, "wall": summarize_wall, "batch": summarize_batch,
     "batchwall": summarize_batch_wall}[command](*args)
