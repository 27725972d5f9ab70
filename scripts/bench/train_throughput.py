#!/usr/bin/env python3
"""PyTorch side of scripts/bench/train_throughput.sh: training steps per second on Fashion-MNIST.

The same workload as `curvtrack train` with a constant schedule: the built-in model spec
(mlp:784-64-64-10:tanh or cnn:8-16:relu, built as curvtrack's native networks are), float32,
SGD(lr, momentum 0.9, dampening 0) as torch.optim.SGD, F.cross_entropy, batches of --batch drawn
from a shuffled epoch order (drop_last) by index_select from the preloaded, normalised training
tensor [60000, 1, 28, 28], gradients set to None before each step.  After --warmup untimed steps
it times --steps steps with time.perf_counter.

Modes (--modes, comma list, run in that order in this process, each on a fresh model):
  bare         forward, loss, backward, optimizer step; no host synchronisation at all.
  bookkeeping  also what curvtrack's trainer computes every step (libs/train/src/trainer.cpp,
               step.cpp): the weight norm before the step, loss.item(), the batch accuracy and the
               global gradient norm (each norm summed per tensor in float64 with one .item() per
               tensor, as curvtrack's global_norm does).

Prints one JSON document on stdout; progress on stderr.  Needs Debian's /usr/bin/python3.
"""
import argparse
import gzip
import json
import math
import os
import sys
import time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="mlp:784-64-64-10:tanh",
                        help="mlp:784-64-64-10:tanh or cnn:8-16:relu (default %(default)s)")
    parser.add_argument("--steps", type=int, default=2000, help="timed steps (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps first (default %(default)s)")
    parser.add_argument("--batch", type=int, default=128, help="batch size (default %(default)s)")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate (default %(default)s)")
    parser.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads and BLAS threads")
    parser.add_argument("--modes", default="bare,bookkeeping",
                        help="comma list of bare, bookkeeping, run in this order (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="torch.manual_seed before each model")
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    args.modes = [m for m in args.modes.split(",") if m]
    for mode in args.modes:
        if mode not in ("bare", "bookkeeping"):
            parser.error(f"unknown mode {mode!r}")
    if args.steps < 1 or args.warmup < 0 or args.batch < 1 or args.threads < 1:
        parser.error("--steps, --batch, --threads must be >= 1 and --warmup >= 0")
    return args


ARGS = parse_args()
# BLAS threads must be fixed before numpy/torch load their BLAS.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def log(message):
    print(message, file=sys.stderr, flush=True)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_train(data_dir):
    images = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
    # curvtrack's normalisation: float32((p/255 - mean)/std), computed in double.
    x = ((images.astype(np.float64) / 255.0 - 0.2860) / 0.3530).astype(np.float32)
    x = torch.from_numpy(x).reshape(-1, 1, 28, 28).contiguous()
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def make_model(spec):
    fields = spec.split(":")
    acts = {"tanh": nn.Tanh, "relu": nn.ReLU, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}
    if fields[0] == "mlp" and len(fields) == 3:
        widths = [int(w) for w in fields[1].split("-")]
        layers = [nn.Flatten()]
        for i in range(len(widths) - 1):
            layers.append(nn.Linear(widths[i], widths[i + 1]))
            if i + 2 < len(widths):
                layers.append(acts[fields[2]]())
        return nn.Sequential(*layers)
    if fields[0] == "cnn" and len(fields) == 3:
        channels, side, layers = 1, 28, []
        for out in (int(c) for c in fields[1].split("-")):
            layers += [nn.Conv2d(channels, out, 3, padding=1), acts[fields[2]](), nn.MaxPool2d(2)]
            channels, side = out, side // 2
        layers += [nn.Flatten(), nn.Linear(channels * side * side, 10)]
        return nn.Sequential(*layers)
    raise SystemExit(f"unsupported model spec {spec!r} (mlp:W0-..-Wn:ACT or cnn:C1-C2:ACT)")


def global_norm(tensors):
    # As curvtrack's train::global_norm: per tensor in float64, one .item() each.
    total = 0.0
    for t in tensors:
        if t is not None:
            total += t.detach().to(torch.float64).pow(2).sum().item()
    return math.sqrt(total)


class Batches:
    """Shuffled epoch orders (a fresh torch.randperm per epoch), drop_last, like curvtrack's plan."""

    def __init__(self, x, y, batch, seed):
        self.x, self.y, self.batch = x, y, batch
        self.per_epoch = x.shape[0] // batch
        self.generator = torch.Generator().manual_seed(seed)
        self.step = 0
        self.order = None

    def next(self):
        b = self.step % self.per_epoch
        if b == 0:
            self.order = torch.randperm(self.x.shape[0], generator=self.generator)
        self.step += 1
        index = self.order[b * self.batch:(b + 1) * self.batch]
        return self.x.index_select(0, index), self.y.index_select(0, index)


def run_mode(mode, x, y):
    torch.manual_seed(ARGS.seed)
    model = make_model(ARGS.model)
    model.train()
    params = list(model.parameters())
    optimizer = torch.optim.SGD(params, lr=ARGS.lr, momentum=ARGS.momentum)
    batches = Batches(x, y, ARGS.batch, ARGS.seed)
    bookkeeping = mode == "bookkeeping"
    last = {}

    def step():
        inputs, labels = batches.next()
        if bookkeeping:
            last["weight_norm"] = global_norm(params)
        optimizer.zero_grad(set_to_none=True)
        logits = model(inputs)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        if bookkeeping:
            last["loss"] = loss.item()
            last["accuracy"] = logits.detach().argmax(1).eq(labels).to(torch.float64).mean().item()
            last["grad_norm"] = global_norm([p.grad for p in params])
        optimizer.step()
        return loss

    for _ in range(ARGS.warmup):
        step()
    start = time.perf_counter()
    for _ in range(ARGS.steps):
        loss = step()
    seconds = time.perf_counter() - start
    result = {"mode": mode, "steps": ARGS.steps, "seconds": seconds, "steps_per_second": ARGS.steps / seconds,
              "final_loss": float(loss.item())}
    if bookkeeping:
        result["last_step"] = last
    log(f"  pytorch {mode}: {ARGS.steps} steps in {seconds:.3f} s = {ARGS.steps / seconds:.1f} steps/s "
        f"(final batch loss {result['final_loss']:.4f})")
    return result


def main():
    torch.set_num_threads(ARGS.threads)
    x, y = load_train(ARGS.data_dir)
    results = [run_mode(mode, x, y) for mode in ARGS.modes]
    document = {
        "model": ARGS.model, "batch": ARGS.batch, "steps": ARGS.steps, "warmup": ARGS.warmup,
        "lr": ARGS.lr, "momentum": ARGS.momentum, "threads": torch.get_num_threads(),
        "torch": torch.__version__, "results": results,
    }
    json.dump(document, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
