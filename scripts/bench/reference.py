#!/usr/bin/python3
"""Independent PyTorch reference for curvtrack's probe-set Hessian.

Builds the same operator as `curvtrack spectrum` / `curvtrack bench`: the Hessian of the mean
cross-entropy over the first N Fashion-MNIST training images (curvtrack's `train:first:N`
probe), with respect to every parameter of a TorchScript model, applied exactly by double
backward.  The gradient graph is built once (create_graph=True) and reused for every product,
like PyHessian's single-batch mode.

Selectable parts (any combination; the result is one JSON document on stdout):
  --arpack     scipy.sparse.linalg.eigsh (ARPACK, implicitly restarted Lanczos) on a
               LinearOperator, which='LA', for each k in --arpack-k (default 1,5) at --tol
               (default 1e-8), in float64.  Every matvec call is counted; true relative
               residuals ||Hv - lambda v|| / |lambda| are computed afterwards (extra products,
               reported separately, not in the count).
  --pyhessian  PyHessian's default workload, re-implemented from the algorithm description in
               Yao et al. 2020 and the defaults of its `hessian` class:
               eigenvalues(maxIter=100, tol=1e-3, top_n=5)   power iteration with deflation
               trace(maxIter=100, tol=1e-3)                  Hutchinson, Rademacher probes
               density(iter=100, n_v=1)                      SLQ, full reorthogonalisation
               In float32 by default (PyHessian's dtype).
  --timing     median seconds of one gradient, one HVP through the cached graph and one HVP
               from scratch (forward + create_graph backward + double backward); HVP/gradient.

Run with Debian's python3 (torch 1.13):
  /usr/bin/python3 scripts/bench/reference.py --model tests/fixtures/models/cnn_small.pt \
      --n 2048 --threads 2 --arpack --pyhessian --timing > ref.json
"""
import argparse
import gzip
import json
import math
import os
import statistics
import sys
import time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    parser.add_argument("--model", default=os.path.join(root, "tests/fixtures/models/mlp_784_64_64_10_tanh.pt"))
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--n", type=int, default=2048, help="probe = first N training examples (curvtrack train:first:N)")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (and BLAS threads)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default=None,
                        help="dtype of --pyhessian and --timing (default float32); --arpack is always float64")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--arpack", action="store_true")
    parser.add_argument("--arpack-k", default="1,5", help="comma-separated k values for --arpack")
    parser.add_argument("--tol", type=float, default=1e-8, help="ARPACK tol")
    parser.add_argument("--ncv", type=int, default=None, help="ARPACK ncv (default: scipy's min(n, max(2k+1, 20)))")
    parser.add_argument("--pyhessian", action="store_true")
    parser.add_argument("--pyhessian-residuals", action="store_true",
                        help="after the timed PyHessian workload, spend top_n extra HVPs on the true relative "
                             "residuals of its eigenvectors (not timed, not counted)")
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats for --timing (median reported)")
    args = parser.parse_args()
    if not (args.arpack or args.pyhessian or args.timing):
        parser.error("choose at least one of --arpack, --pyhessian, --timing")
    if args.dtype is None:
        args.dtype = "float32"
    return args


ARGS = parse_args()
# BLAS threads must be fixed before numpy/torch load their BLAS.
for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[name] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Data and model

def read_idx(path, header):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=header)


def load_probe(data_dir, n):
    images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"), 16).reshape(-1, 1, 28, 28)
    labels = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"), 8)
    if n > images.shape[0]:
        raise SystemExit(f"--n {n} exceeds the {images.shape[0]} training examples")
    # curvtrack: float32((p/255 - 0.2860)/0.3530), computed in double, rounded once.
    x = ((images[:n].astype(np.float64) / 255.0 - 0.2860) / 0.3530).astype(np.float32)
    y = labels[:n].astype(np.int64)
    return torch.from_numpy(x.copy()), torch.from_numpy(y.copy())


class HessianOperator:
    """H = d^2/dtheta^2 mean CE(model(x), y); the gradient graph is built once and reused."""

    def __init__(self, model_path, x, y, dtype):
        self.dtype = dtype
        self.model = torch.jit.load(model_path, map_location="cpu")
        self.model.eval()
        self.model.to(dtype)
        self.params = [p for p in self.model.parameters()]
        for p in self.params:
            p.requires_grad_(True)
        self.shapes = [p.shape for p in self.params]
        self.sizes = [p.numel() for p in self.params]
        self.dim = sum(self.sizes)
        self.x = x.to(dtype)
        self.y = y
        self.products = 0
        start = time.perf_counter()
        self.loss = F.cross_entropy(self.model(self.x), self.y)
        self.grads = torch.autograd.grad(self.loss, self.params, create_graph=True)
        self.graph_seconds = time.perf_counter() - start

    def split(self, flat):
        return [t.view(s) for t, s in zip(torch.split(flat, self.sizes), self.shapes)]

    def hvp_list(self, v_list):
        """PyHessian's hessian_vector_product: one double backward through the cached graph."""
        self.products += 1
        hv = torch.autograd.grad(self.grads, self.params, grad_outputs=v_list, retain_graph=True)
        return [h.detach() for h in hv]

    def hvp_flat(self, v):
        return torch.cat([h.reshape(-1) for h in self.hvp_list(self.split(v))])

    def gradient_norm(self):
        return float(torch.sqrt(sum((g.detach().double() ** 2).sum() for g in self.grads)))


# ---------------------------------------------------------------------------------------------
# (a) ARPACK reference

def run_arpack(op, ks, tol, ncv, seed):
    from scipy.sparse.linalg import LinearOperator, eigsh

    calls = {"matvec": 0, "columns": 0}

    def matvec(v):
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        calls["matvec"] += 1
        out = op.hvp_flat(torch.from_numpy(np.ascontiguousarray(v)))
        return out.numpy().astype(np.float64, copy=True)

    def matmat(V):
        # Not used by eigsh (ARPACK asks for one vector at a time) but counted if it ever is.
        V = np.asarray(V, dtype=np.float64)
        calls["columns"] += V.shape[1]
        return np.column_stack([matvec(V[:, j]) for j in range(V.shape[1])])

    A = LinearOperator((op.dim, op.dim), matvec=matvec, matmat=matmat, dtype=np.float64)
    results = []
    for k in ks:
        rng = np.random.default_rng(seed)
        v0 = rng.standard_normal(op.dim)
        calls["matvec"] = 0
        calls["columns"] = 0
        op_before = op.products
        start = time.perf_counter()
        values, vectors = eigsh(A, k=k, which="LA", tol=tol, v0=v0, ncv=ncv)
        seconds = time.perf_counter() - start
        counted = calls["matvec"]
        operator_products = op.products - op_before
        order = np.argsort(values)[::-1]
        values = values[order]
        vectors = vectors[:, order]
        residuals = []
        for j in range(k):
            hv = op.hvp_flat(torch.from_numpy(np.ascontiguousarray(vectors[:, j]))).numpy()
            residuals.append(float(np.linalg.norm(hv - values[j] * vectors[:, j]) / abs(values[j])))
        used_ncv = ncv if ncv is not None else min(op.dim, max(2 * k + 1, 20))
        results.append({
            "k": k,
            "which": "LA",
            "tol": tol,
            "ncv": used_ncv,
            "v0": f"numpy default_rng({seed}).standard_normal",
            "values": [float(v) for v in values],
            "matvecs": counted,
            "matvecs_check_operator_count": operator_products,
            "matmat_columns": calls["columns"],
            "seconds": seconds,
            "relative_residuals": residuals,
            "max_relative_residual": max(residuals),
            "residual_check_hvps": k,
        })
        log(f"arpack k={k}: {counted} matvecs, {seconds:.2f}s, values {[f'{v:.6g}' for v in values]}, "
            f"max rel residual {max(residuals):.1e}")
    return results


# ---------------------------------------------------------------------------------------------
# (b) PyHessian's default workload, from its algorithm description

def group_product(xs, ys):
    return sum(torch.sum(x * y) for x, y in zip(xs, ys))


def normalization(v):
    norm = torch.sqrt(group_product(v, v))
    return [t / (norm + 1e-6) for t in v]


def orthnormal(w, v_list):
    """Gram-Schmidt of w against the vectors in v_list, then normalise."""
    for v in v_list:
        c = group_product(w, v)
        w = [wi - c * vi for wi, vi in zip(w, v)]
    return normalization(w)


def pyhessian_eigenvalues(op, max_iter=100, tol=1e-3, top_n=5):
    eigenvalues, eigenvectors, iterations = [], [], []
    while len(eigenvalues) < top_n:
        eigenvalue = None
        v = normalization([torch.randn(s, dtype=op.dtype) for s in op.shapes])
        used = 0
        for _ in range(max_iter):
            v = orthnormal(v, eigenvectors)
            hv = op.hvp_list(v)
            used += 1
            current = float(group_product(hv, v))
            v = normalization(hv)
            if eigenvalue is not None and abs(eigenvalue - current) / (abs(eigenvalue) + 1e-6) < tol:
                eigenvalue = current
                break
            eigenvalue = current
        eigenvalues.append(eigenvalue)
        eigenvectors.append(v)
        iterations.append(used)
    return eigenvalues, eigenvectors, iterations


def pyhessian_trace(op, max_iter=100, tol=1e-3):
    samples, trace = [], 0.0
    for _ in range(max_iter):
        v = [torch.randint_like(p, high=2, dtype=op.dtype) * 2 - 1 for p in op.params]
        hv = op.hvp_list(v)
        samples.append(float(group_product(hv, v)))
        mean = float(np.mean(samples))
        if abs(mean - trace) / (abs(trace) + 1e-6) < tol:
            trace = mean
            break
        trace = mean
    return trace, samples


def pyhessian_density(op, iters=100, n_v=1):
    """Stochastic Lanczos quadrature: n_v runs of `iters` Lanczos steps, full reorthogonalisation."""
    nodes_all, weights_all = [], []
    for _ in range(n_v):
        v = normalization([torch.randint_like(p, high=2, dtype=op.dtype) * 2 - 1 for p in op.params])
        v_list = [v]
        alphas, betas = [], []
        w = None
        for i in range(iters):
            if i > 0:
                beta = float(torch.sqrt(group_product(w, w)))
                betas.append(beta)
                if beta != 0.0:
                    v = orthnormal(w, v_list)
                else:
                    v = orthnormal([torch.randn(s, dtype=op.dtype) for s in op.shapes], v_list)
                v_list.append(v)
            hv = op.hvp_list(v)
            alpha = float(group_product(hv, v))
            alphas.append(alpha)
            w = [h - alpha * vi for h, vi in zip(hv, v)]
            if i > 0:
                w = [wi - betas[-1] * pi for wi, pi in zip(w, v_list[-2])]
        t = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        nodes, vecs = np.linalg.eigh(t)
        nodes_all.append([float(a) for a in nodes])
        weights_all.append([float(b) for b in vecs[0, :] ** 2])
    return nodes_all, weights_all


def run_pyhessian(op, seed, residuals):
    torch.manual_seed(seed)
    np.random.seed(seed)
    parts = {}
    total_start = time.perf_counter()

    before, start = op.products, time.perf_counter()
    values, vectors, iterations = pyhessian_eigenvalues(op)
    parts["eigenvalues"] = {"hvps": op.products - before, "seconds": time.perf_counter() - start,
                            "values_in_order_found": values,
                            "iterations_per_eigenvalue": iterations,
                            "hit_max_iter": [it == 100 for it in iterations]}

    before, start = op.products, time.perf_counter()
    trace, samples = pyhessian_trace(op)
    parts["trace"] = {"hvps": op.products - before, "seconds": time.perf_counter() - start,
                      "value": trace, "samples": len(samples),
                      "standard_error": float(np.std(samples, ddof=1) / math.sqrt(len(samples))) if len(samples) > 1 else None}

    before, start = op.products, time.perf_counter()
    nodes, weights = pyhessian_density(op)
    parts["density"] = {"hvps": op.products - before, "seconds": time.perf_counter() - start,
                        "steps": 100, "runs": 1, "nodes": nodes, "weights": weights,
                        "slq_trace": float(sum(op.dim * np.dot(n, w) for n, w in zip(nodes, weights)) / len(nodes))}

    result = {
        "settings": {"eigenvalues": "maxIter=100 tol=1e-3 top_n=5 (power iteration, Gram-Schmidt deflation)",
                     "trace": "maxIter=100 tol=1e-3 (Hutchinson, Rademacher)",
                     "density": "iter=100 n_v=1 (Lanczos, full reorthogonalisation)",
                     "seed": seed},
        "parts": parts,
        "hvps": sum(p["hvps"] for p in parts.values()),
        "parts_seconds": sum(p["seconds"] for p in parts.values()),
        "workload_seconds": time.perf_counter() - total_start,
        "top_values_sorted": sorted(values, reverse=True),
    }
    if residuals:
        rel = []
        for value, vec in zip(values, vectors):
            # vec is normalised Hv of the last iterate; re-normalise exactly before the check.
            vec = normalization(vec)
            hv = op.hvp_list(vec)
            r = torch.sqrt(sum(((h - value * v) ** 2).sum() for h, v in zip(hv, vec)))
            rel.append(float(r) / abs(value))
        result["relative_residuals_in_order_found"] = rel
        result["residual_check_hvps"] = len(rel)
    log(f"pyhessian: eigen {parts['eigenvalues']['hvps']} HVPs {parts['eigenvalues']['seconds']:.2f}s, "
        f"trace {parts['trace']['hvps']} HVPs {parts['trace']['seconds']:.2f}s, "
        f"density {parts['density']['hvps']} HVPs {parts['density']['seconds']:.2f}s; "
        f"top {[f'{v:.6g}' for v in result['top_values_sorted']]}")
    return result


# ---------------------------------------------------------------------------------------------
# (c) gradient and HVP timing

def run_timing(model_path, x, y, dtype, repeats, seed):
    op = HessianOperator(model_path, x, y, dtype)
    xs = op.x

    def gradient():
        loss = F.cross_entropy(op.model(xs), y)
        torch.autograd.grad(loss, op.params)

    torch.manual_seed(seed)
    v = [torch.randn(s, dtype=dtype) for s in op.shapes]

    def hvp_cached():
        op.hvp_list(v)

    def hvp_scratch():
        loss = F.cross_entropy(op.model(xs), y)
        grads = torch.autograd.grad(loss, op.params, create_graph=True)
        torch.autograd.grad(grads, op.params, grad_outputs=v)

    def median_time(work):
        work()  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
        return statistics.median(times), times

    g, g_all = median_time(gradient)
    hc, hc_all = median_time(hvp_cached)
    hs, hs_all = median_time(hvp_scratch)
    log(f"timing: gradient {g:.4f}s, HVP cached {hc:.4f}s ({hc / g:.2f}x), HVP from scratch {hs:.4f}s ({hs / g:.2f}x)")
    return {"dtype": str(dtype).replace("torch.", ""), "repeats": repeats, "batch": "whole probe set in one batch",
            "gradient_seconds": g, "hvp_cached_seconds": hc, "hvp_scratch_seconds": hs,
            "hvp_cached_over_gradient": hc / g, "hvp_scratch_over_gradient": hs / g,
            "all_times": {"gradient": g_all, "hvp_cached": hc_all, "hvp_scratch": hs_all}}


def main():
    torch.set_num_threads(ARGS.threads)
    torch.manual_seed(ARGS.seed)
    start = time.perf_counter()
    x, y = load_probe(ARGS.data_dir, ARGS.n)
    dtype = torch.float32 if ARGS.dtype == "float32" else torch.float64
    document = {
        "tool": "scripts/bench/reference.py",
        "settings": {"model": os.path.abspath(ARGS.model), "probe": f"train:first:{ARGS.n}", "n": ARGS.n,
                     "threads": torch.get_num_threads(), "torch": torch.__version__, "numpy": np.__version__,
                     "seed": ARGS.seed,
                     "hessian": "mean cross-entropy over the probe set, exact double-backward HVP, "
                                "gradient graph built once and reused"},
    }
    if ARGS.arpack:
        import scipy
        op = HessianOperator(ARGS.model, x, y, torch.float64)
        document["settings"]["parameters"] = op.dim
        document["settings"]["scipy"] = scipy.__version__
        document["probe_loss_float64"] = float(op.loss)
        document["probe_gradient_norm_float64"] = op.gradient_norm()
        ks = [int(k) for k in ARGS.arpack_k.split(",") if k]
        document["arpack"] = run_arpack(op, ks, ARGS.tol, ARGS.ncv, ARGS.seed)
        del op
    if ARGS.pyhessian:
        op_start = time.perf_counter()
        op = HessianOperator(ARGS.model, x, y, dtype)
        document["settings"]["parameters"] = op.dim
        result = run_pyhessian(op, ARGS.seed, ARGS.pyhessian_residuals)
        result["dtype"] = ARGS.dtype
        result["graph_seconds"] = op.graph_seconds
        result["setup_and_workload_seconds"] = time.perf_counter() - op_start
        result["probe_loss"] = float(op.loss)
        document["pyhessian"] = result
        del op
    if ARGS.timing:
        document["timing"] = run_timing(ARGS.model, x, y, dtype, ARGS.repeats, ARGS.seed)
    document["total_seconds"] = time.perf_counter() - start
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
