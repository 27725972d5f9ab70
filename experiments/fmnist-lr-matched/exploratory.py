#!/usr/bin/python3
"""The exploratory numbers of the README's verdict that `curvtrack report` does not print,
recomputed from results/report/tables/analysis_rows.csv (runs that trained only):

  - paired ratios between two arms (geometric mean of the per-seed ratios, 95% t-interval and
    the paired t-test on the log ratios, seeds present in both arms);
  - the primary model with log(final training loss) added (OLS, seeds as fixed effects, 95%
    t-interval of the 1cycle ratio): the fit confound, examined after the fact;
  - the per-arm geometric means of the README's table.

None of this is part of the pre-registered family. Usage: /usr/bin/python3 exploratory.py [CSV]
"""
import csv
import math
import os
import sys

import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
ARMS = ["constant_0.05", "constant_0.1", "constant_0.2", "onecycle_lstar", "onecycle_lstar_constmom",
        "constant_0.1_wd", "onecycle_lstar_wd"]
TABLE_MEASURES = ["mean_effective_lr", "normalised trace", "adaptive sharpness rho 0.05", "lambda_max", "trace",
                  "block 0 weight norm", "block 4 weight norm", "train loss"]
PAIRS = [("onecycle_lstar", "constant_0.1"), ("onecycle_lstar", "constant_0.05"),
         ("onecycle_lstar", "onecycle_lstar_constmom"), ("onecycle_lstar_wd", "constant_0.1_wd"),
         ("onecycle_lstar_wd", "onecycle_lstar")]
PAIR_MEASURES = ["normalised trace", "adaptive sharpness rho 0.05", "lambda_max", "trace"]
MODEL_MEASURES = ["normalised trace", "adaptive sharpness rho 0.05"]


def load(path):
    with open(path) as f:
        return [r for r in csv.DictReader(f) if r["trained"] == "1"]


def geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def paired_ratio(rows, a, b, measure):
    by_seed = {arm: {r["seed"]: float(r[measure]) for r in rows if r["arm"] == arm} for arm in (a, b)}
    seeds = sorted(set(by_seed[a]) & set(by_seed[b]), key=int)
    logs = [math.log(by_seed[a][s] / by_seed[b][s]) for s in seeds]
    mean, se = float(np.mean(logs)), float(np.std(logs, ddof=1)) / math.sqrt(len(logs))
    t = stats.t.ppf(0.975, len(logs) - 1)
    p = stats.ttest_1samp(logs, 0.0).pvalue
    return math.exp(mean), math.exp(mean - t * se), math.exp(mean + t * se), p, len(logs)


def onecycle_ratio(rows, measure, with_loss):
    model_rows = [r for r in rows if r["in_model"] == "1"]
    seeds = sorted({int(r["seed"]) for r in model_rows})
    x, y = [], []
    for r in model_rows:
        terms = [1.0, float(r["onecycle"]), math.log(float(r["mean_effective_lr"])), float(r["weight_decay"])]
        if with_loss:
            terms.append(math.log(float(r["train loss"])))
        terms += [1.0 if int(r["seed"]) == s else 0.0 for s in seeds[1:]]
        x.append(terms)
        y.append(math.log(float(r[measure])))
    x, y = np.array(x), np.array(y)
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    residual = y - x @ beta
    df = len(y) - x.shape[1]
    covariance = residual @ residual / df * np.linalg.inv(x.T @ x)
    se = np.sqrt(np.diag(covariance))
    t = stats.t.ppf(0.975, df)
    out = {"ratio": math.exp(beta[1]), "low": math.exp(beta[1] - t * se[1]), "high": math.exp(beta[1] + t * se[1]),
           "runs": len(y), "df": df}
    if with_loss:
        out["loss exponent"], out["loss exponent SE"] = beta[4], se[4]
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results/report/tables/analysis_rows.csv")
    rows = load(path)
    print(f"{len(rows)} runs that trained, from {path}\n")
    print("per arm, geometric means: n | " + " | ".join(TABLE_MEASURES))
    for arm in ARMS:
        arm_rows = [r for r in rows if r["arm"] == arm]
        values = [geometric_mean([float(r[m]) for r in arm_rows]) for m in TABLE_MEASURES]
        print(f"  {arm:<24} {len(arm_rows):>2} | " + " | ".join(f"{v:.4g}" for v in values))
    print("\npaired ratios A/B (geometric mean of per-seed ratios, 95% t-interval, paired t-test on log ratios):")
    for a, b in PAIRS:
        for m in PAIR_MEASURES:
            ratio, low, high, p, n = paired_ratio(rows, a, b, m)
            print(f"  {a}/{b} {m}: {ratio:.3f} [{low:.3f}, {high:.3f}] p = {p:.2g} (n = {n})")
    print("\nthe primary model, and with log(final training loss) added (OLS 95% t-interval of the 1cycle ratio):")
    for m in MODEL_MEASURES:
        for with_loss in (False, True):
            fit = onecycle_ratio(rows, m, with_loss)
            extra = (f", loss exponent {fit['loss exponent']:.2f} (SE {fit['loss exponent SE']:.2f})"
                     if with_loss else "")
            label = "with log(training loss)" if with_loss else "as planned"
            print(f"  {m}, {label}: {fit['ratio']:.3f} [{fit['low']:.3f}, {fit['high']:.3f}], "
                  f"{fit['runs']} runs, df {fit['df']}{extra}")


if __name__ == "__main__":
    main()
