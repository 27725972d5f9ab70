#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<harness>/ (a few KB each). Run from anywhere;
rerunning rewrites the same files."""
import gzip
import io
import pathlib
import struct
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"


def write(harness, name, data):
    folder = ROOT / harness
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)


def idx(dims, fill=0):
    header = bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    count = 1
    for d in dims:
        count *= d
    return header + bytes((fill + i) % 256 for i in range(count))


# IDX: labels (1-D), images (3-D), 2-D and 4-D, plus near misses.
write("idx", "labels", idx([10]))
write("idx", "images", idx([2, 4, 3], 7))
write("idx", "matrix", idx([3, 5]))
write("idx", "rank4", idx([1, 2, 2, 2]))
write("idx", "float_type", bytes([0, 0, 0x0D, 1, 0, 0, 0, 1]) + b"\0\0\0\0")
write("idx", "truncated", idx([4, 4])[:-3])

# gzip: gzipped IDX files, two members, an empty member, a bare header.
write("gunzip", "labels.gz", gzip.compress(idx([10]), mtime=0))
write("gunzip", "images.gz", gzip.compress(idx([3, 8, 8], 1), mtime=0))
write("gunzip", "two_members.gz", gzip.compress(idx([2, 2])[:6], mtime=0) + gzip.compress(idx([2, 2])[6:], mtime=0))
write("gunzip", "empty.gz", gzip.compress(b"", mtime=0))
write("gunzip", "stored.gz", gzip.compress(idx([5]), compresslevel=0, mtime=0))

# CIFAR: one CIFAR-10 record, one CIFAR-100 record (3073 and 3074 bytes).
write("cifar", "cifar10_record", bytes([3]) + bytes(i % 251 for i in range(3072)))
write("cifar", "cifar100_record", bytes([19, 99]) + bytes(i % 13 for i in range(3072)))

# Config: a run config, --set lines, comments, a BOM, an ignored section.
write("config", "run.ini", """# curvtrack configuration
[data]
dataset = fashion-mnist
batch_size = 128

[optim]
name = sgd

[schedule]
policy = onecycle
lr = 0.05
momentum =

[train]
amp = yes
""")
write("config", "sets", "schedule.lr=0.2\noptim.name = adam\nschedule.momentum=\nrun.seed=3\nzz_custom.key_2 = a b\n")
write("config", "bom_extra", "\ufeff[extra]\nanything = goes\n[run]\nname = arm-1 # comment\nseed = -4\n")
write("config", "bad", "[data\nkey value\n= 3\n")

# Study files.
write("study", "quick.ini", """# fmnist-quick
[study]
name = fmnist-quick
base = base.ini
seeds = 0-2
out = ../../runs/fmnist-quick
arms = constant, onecycle
report = yes

[arm.constant]
schedule.policy = constant
schedule.lr = 0.05

[arm.onecycle]
schedule.policy = onecycle
schedule.lr_max = 0.2

[local]
jobs = 2
""")
write("study", "slurm.ini", """[study]
base = ./base.ini
seeds = 0,1,5-7
out = /tmp/out
[arm.a+b.c]
optim.name = adam
; a comment
[slurm]
partition = gpu
account =
time = 1-02:30:00
cpus_per_task = 4
throttle = 10
signal_margin = 300
extra = --mem=8G;--qos=normal
""")
write("study", "seeds", "0-3,7,10-12\n")
write("study", "time", "2-12:00\n")

# Run files: metrics.csv, curvature.jsonl, meta.json.
write("metrics", "metrics.csv", """step,epoch,lr,train_loss,test_loss
0,0,0.05,2.2651686668395996,2.26
4,1,0.050000000000000003,0.77,
8,2,0.05,nan,inf
12,3,0.05,-inf,1e-300
16,3,0.05,0.4""")
write("metrics", "header_only.csv", "step,loss\n")

write("json_log", "curvature.jsonl", """{"step":0,"label":"start","top":{"values":[12.9],"converged":true},"trace":{"value":241.2}}
{"step":4,"lr":0.05,"seconds":0.0583,"settings":{"dtype":"Double","tol":1e-08}}
{"step":8,"probing_stopped":"loss is NaN"}
{"step":12,"x":null,"u":"\\u00e9\\ud83d\\ude00"}
{"step":16,"torn""")
write("json_log", "bad_step", '{"step":1.5}\n[1,2]\n')

write("run_meta", "meta.json", """{
  "checkpoint_step": 100,
  "created": "2026-11-29T18:27:09Z",
  "data": {"test_examples": 102, "train": "synthetic n=512"},
  "environment": {"host": "vm", "pid": 11018},
  "run": {"name": "constant", "seed": 0},
  "status": "completed",
  "probe_over_train": 3.4721430584291504,
  "big": 18446744073709551615,
  "neg": -9223372036854775808,
  "list": [1, -0.0, 1e308, "s", true, null]
}
""")
write("run_meta", "not_object", "[1, 2, 3]\n")


def npy(descr, shape, payload, version=1):
    """An .npy file as numpy writes it (header padded to a multiple of 64 bytes)."""
    text = "{'descr': '%s', 'fortran_order': False, 'shape': %r, }" % (descr, tuple(shape))
    prefix = 10 if version == 1 else 12
    text += " " * (-(prefix + len(text) + 1) % 64) + "\n"
    length = struct.pack("<H" if version == 1 else "<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text.encode() + payload


def npz(method, members):
    """A zip of .npy members with a fixed timestamp, stored or deflated like np.savez(_compressed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, data)
    return buffer.getvalue()


X = npy("<f4", (4, 3), struct.pack("<12f", *[i + j / 10 for i in range(4) for j in range(3)]))
Y = npy("<i8", (4,), struct.pack("<4q", 0, 1, 2, 0))
write("npy", "f4_4x3.npy", X)
write("npy", "i8_4.npy", Y)
write("npy", "u1_scalar_v2.npy", npy("|u1", (), b"\x07", version=2))
write("npy", "b1_0x2_v3.npy", npy("|b1", (0, 2), b"", version=3))
write("npz", "stored.npz", npz(zipfile.ZIP_STORED, [("x.npy", X), ("y.npy", Y)]))
write("npz", "deflated.npz", npz(zipfile.ZIP_DEFLATED, [("x.npy", X), ("y.npy", Y)]))
