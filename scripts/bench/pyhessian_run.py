#!/usr/bin/python3
"""PyHessian's default workload with the real PyHessian, timed by phase from process start.

Loads the TorchScript model and the first N Fashion-MNIST training images (normalised as
curvtrack does), then calls the real PyHessian:
    h = hessian(model, criterion, data=(x, y), cuda=False)
    h.eigenvalues(top_n=5); h.trace(); h.density()
with PyHessian's defaults otherwise.  PyHessian is not part of this repository: the folder that
holds its `pyhessian` package is given by the environment variable PYHESSIAN_PATH (for example a
`git archive` of its repository extracted under /tmp).

Prints one JSON document on stdout: the eigenvalues, the trace (mean of PyHessian's Hutchinson
samples, their count and standard error), the density's HVP count, and `phase_seconds`:
  start    process start (kernel start time, /proc/self/stat, 10 ms ticks) to this script's
           first line: interpreter start-up
  import   importing torch, numpy and pyhessian
  data     reading and normalising the N images and labels
  model    torch.jit.load, eval, dtype
  operator hessian(...): forward, loss, backward(create_graph=True)
  top, trace, density   the three PyHessian calls
Usage: PYHESSIAN_PATH=DIR /usr/bin/python3 scripts/bench/pyhessian_run.py --model M [--n N]
       [--threads T] [--seed S]
"""
import time

T_SCRIPT = time.time()
import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402


def process_start_epoch():
    """Wall-clock time at which this process started, from /proc (clock ticks since boot)."""
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    start_ticks = int(fields[19])  # field 22 of stat; fields[0] is field 3
    ticks = os.sysconf("SC_CLK_TCK")
    boot_to_now = time.clock_gettime(time.CLOCK_BOOTTIME)
    return time.time() - boot_to_now + start_ticks / ticks


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


ARGS = parse_args()
for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[name] = str(ARGS.threads)
if not os.environ.get("PYHESSIAN_PATH"):
    sys.exit("set PYHESSIAN_PATH to the folder holding the pyhessian package")
sys.path.insert(0, os.environ["PYHESSIAN_PATH"])

import numpy as np  # noqa: E402
import torch  # noqa: E402
from pyhessian import hessian  # noqa: E402

T_IMPORT = time.time()


def read_idx_prefix(path, header, rows, row_bytes):
    """The header and the first `rows` rows of a gzipped IDX file (the rest is not decoded)."""
    with gzip.open(path, "rb") as f:
        raw = f.read(header + rows * row_bytes)
    if len(raw) != header + rows * row_bytes:
        sys.exit(f"{path} holds fewer than {rows} rows")
    return np.frombuffer(raw, dtype=np.uint8, offset=header)


def main():
    torch.set_num_threads(ARGS.threads)
    torch.manual_seed(ARGS.seed)
    np.random.seed(ARGS.seed)
    phases = {}
    t = time.time()
    images = read_idx_prefix(os.path.join(ARGS.data_dir, "train-images-idx3-ubyte.gz"), 16, ARGS.n, 784)
    labels = read_idx_prefix(os.path.join(ARGS.data_dir, "train-labels-idx1-ubyte.gz"), 8, ARGS.n, 1)
    # curvtrack's normalisation: float32((p/255 - 0.2860)/0.3530), computed in double.
    x = torch.from_numpy(((images.astype(np.float64) / 255.0 - 0.2860) / 0.3530).astype(np.float32).reshape(-1, 1, 28, 28))
    y = torch.from_numpy(labels.astype(np.int64))
    phases["data"] = time.time() - t

    t = time.time()
    model = torch.jit.load(ARGS.model, map_location="cpu")
    model.eval()
    model.float()
    phases["model"] = time.time() - t

    t = time.time()
    h = hessian(model, torch.nn.CrossEntropyLoss(), data=(x, y), cuda=False)
    phases["operator"] = time.time() - t

    t = time.time()
    top, _ = h.eigenvalues(top_n=5)
    phases["top"] = time.time() - t
    t = time.time()
    samples = h.trace()
    phases["trace"] = time.time() - t
    t = time.time()
    nodes, weights = h.density()
    phases["density"] = time.time() - t
    t_end = time.time()

    start = process_start_epoch()
    phases = {"start": T_SCRIPT - start, "import": T_IMPORT - T_SCRIPT, **phases}
    trace = float(np.mean(samples))
    parameters = sum(p.numel() for p in model.parameters())
    document = {
        "tool": "PyHessian (real, from PYHESSIAN_PATH)",
        "pyhessian_path": os.environ["PYHESSIAN_PATH"],
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "parameters": parameters,
        "top_values": [float(v) for v in top],
        "top_values_sorted": sorted((float(v) for v in top), reverse=True),
        "trace": {"value": trace, "samples": len(samples),
                  "standard_error": float(np.std(samples, ddof=1) / math.sqrt(len(samples))) if len(samples) > 1 else None},
        "density": {"steps": len(nodes[0]), "runs": len(nodes),
                    "slq_trace": float(sum(parameters * np.real(np.dot(n, w)) for n, w in zip(nodes, weights)) / len(nodes))},
        "phase_seconds": phases,
        "seconds_to_last_result": t_end - start,
    }
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
