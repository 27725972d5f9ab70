#!/usr/bin/python3
"""Trains the four 784-64-64-10 tanh MLPs of the README's top-5 HVP-count table.

SGD with momentum 0.9, batch 128, cross-entropy on the Fashion-MNIST training set (normalised as
curvtrack does), for (lr, epochs) in (0.05, 1), (0.05, 3), (0.2, 1), (0.2, 3), seeds 1-4; saves
TorchScript files mlp_lr{lr}_ep{epochs}.pt to OUT_DIR.  Then, for each:
  curvtrack bench --model OUT_DIR/mlp_lr0.05_ep1.pt --probe train:first:2048 --threads 2
  scripts/bench/reference.py --model OUT_DIR/mlp_lr0.05_ep1.pt --arpack --arpack-k 5

Usage: /usr/bin/python3 scripts/bench/train_reference_mlps.py OUT_DIR [--threads 2]
"""
import argparse
import gzip
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path, header):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def training_set():
    images = read_idx(os.path.join(DATA, "train-images-idx3-ubyte.gz"), 16).reshape(-1, 1, 28, 28)
    labels = read_idx(os.path.join(DATA, "train-labels-idx1-ubyte.gz"), 8)
    x = ((images.astype(np.float64) / 255.0 - 0.2860) / 0.3530).astype(np.float32)
    return torch.from_numpy(x.copy()), torch.from_numpy(labels.astype(np.int64))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                                 nn.Linear(64, 10))

    def forward(self, x):
        return self.net(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(args.threads)
    x, y = training_set()
    for seed, (lr, epochs) in enumerate([(0.05, 1), (0.05, 3), (0.2, 1), (0.2, 3)], start=1):
        torch.manual_seed(seed)
        model = Mlp()
        optimiser = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        for _ in range(epochs):
            order = torch.randperm(x.shape[0])
            for begin in range(0, x.shape[0], 128):
                batch = order[begin:begin + 128]
                optimiser.zero_grad()
                F.cross_entropy(model(x[batch]), y[batch]).backward()
                optimiser.step()
        path = os.path.join(args.out_dir, f"mlp_lr{lr}_ep{epochs}.pt")
        torch.jit.script(model).save(path)
        print(path)


if __name__ == "__main__":
    main()
