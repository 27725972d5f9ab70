#!/usr/bin/env bash
# One small end-to-end `curvtrack spectrum` under AddressSanitizer + UBSan (issue 7, item 4).
# The CI's ASan stage (scripts/test.sh) covers only the torch-free libraries; this builds the
# whole tool instrumented (build-asan-tool/; LibTorch itself stays uninstrumented, as Debian
# ships it) and runs two spectra that go through every layer: a TorchScript model on a gzipped
# IDX dataset (zlib, IDX parsing, TorchScript loading, HVPs, Lanczos, Hutch++, SLQ, JSON), and a
# native MLP on a synthetic set with bottom eigenvalues in float32; then a broken model file (the
# error path) and a short probed training run (checkpoints, logs, atomic writes).
#
#   scripts/sanitize-spectrum.sh            build (if needed) and run; exit 1 on any report
#   CURVTRACK_JOBS=2 scripts/sanitize-spectrum.sh
#
# Leak checking stays on (detect_leaks=1). LibTorch keeps process-lifetime singletons (operator
# registries, thread pools) reachable from globals, so LeakSanitizer does not count them and no
# suppressions or ASAN_OPTIONS=detect_leaks=0 are needed (checked with LibTorch 1.13).
# Not part of CI: the instrumented build takes ~17 minutes on 2 busy cores; the runs ~5 s.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${CURVTRACK_ASAN_TOOL_DIR:-build-asan-tool}
jobs=${CURVTRACK_JOBS:-2}

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCURVTRACK_SANITIZE=ON -DCURVTRACK_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$jobs" --target curvtrack
tool="$build_dir/tools/curvtrack/curvtrack"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A gzipped Fashion-MNIST-style test split of 64 random images with labels 0..9.
python3 - "$work/fashion" <<'EOF'
import gzip, os, random, struct, sys
folder = sys.argv[1]
os.makedirs(folder)
rng = random.Random(0)
n = 64
with gzip.open(os.path.join(folder, "t10k-images-idx3-ubyte.gz"), "wb") as f:
    f.write(bytes([0, 0, 8, 3]) + struct.pack(">III", n, 28, 28) + bytes(rng.randrange(256) for _ in range(n * 784)))
with gzip.open(os.path.join(folder, "t10k-labels-idx1-ubyte.gz"), "wb") as f:
    f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", n) + bytes(i % 10 for i in range(n)))
EOF

export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=101:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=102"

status=0
# run NAME EXPECTED_EXIT ARGS...
run() {
  local name=$1 expected=$2
  shift 2
  local start=$SECONDS
  set +e
  "$tool" "$@" >"$work/$name.out" 2>"$work/$name.err"
  local code=$?
  set -e
  echo "sanitize-spectrum: $name: exit $code (expected $expected) in $((SECONDS - start)) s"
  if [ "$code" -ne "$expected" ] || grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$work/$name.err"; then
    status=1
    cat "$work/$name.err"
  fi
}

run torchscript 0 spectrum --model tests/fixtures/models/mlp_784_16_10_tanh.pt --data "fashion-mnist:$work/fashion" \
  --probe test:all --top-k 3 --trace hutchpp:30 --esd 20x2 --threads 1 --quiet --out "$work/torchscript.json"
run native 0 spectrum --model mlp:16-8-4:tanh --data gmm:256:4:4:1 --probe train:first:128 --dtype float32 \
  --top-k 2 --bottom-k 1 --trace hutchinson:10 --esd none --threads 2 --quiet --out "$work/native.json"
# The error path (an exception through the TorchScript loader) and a probed training run.
printf 'not a model' >"$work/broken.pt"
run broken-model 3 spectrum --model "$work/broken.pt" --data "fashion-mnist:$work/fashion" --probe test:all --quiet
run train 0 train --run-dir "$work/run" --threads 1 --quiet --set data.dataset=gmm:256:4:4:1 \
  --set model.spec=mlp:16-8-4:tanh --set schedule.policy=onecycle --set schedule.lr_max=0.2 --set train.steps=60 \
  --set train.checkpoint_every=20 --set curvature.at=every:20 --set curvature.probe=train:first:64 \
  --set curvature.test_probe=test:first:32

if [ "$status" -eq 0 ]; then
  echo "sanitize-spectrum: clean (AddressSanitizer, LeakSanitizer, UBSan): no reports"
else
  echo "sanitize-spectrum: FAILED: see the reports above"
fi
exit "$status"
