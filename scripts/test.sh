#!/usr/bin/env bash
# The README's test command (what CI runs): installs what is missing, builds, runs every test
# (unit and integration, a local Slurm cluster included), then the torch-free libraries and
# their tests again under AddressSanitizer + UBSan. Exit status: non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build_dir=${CURVTRACK_BUILD_DIR:-build}
jobs=${CURVTRACK_JOBS:-$(nproc)}

# The Slurm integration test needs the single-node cluster; stop it however the tests end.
if [ -x scripts/slurm-local.sh ]; then
  trap 'bash scripts/slurm-local.sh stop >/dev/null 2>&1 || true' EXIT
  bash scripts/slurm-local.sh start || echo "test.sh: local Slurm cluster did not start; the [slurm] test will say why"
fi

(cd "$build_dir" && ctest --output-on-failure -j "${CURVTRACK_TEST_JOBS:-2}" --timeout 900)

asan_dir=${build_dir}-asan
cmake -S . -B "$asan_dir" -DCMAKE_BUILD_TYPE=Debug -DCURVTRACK_WITH_TORCH=OFF -DCURVTRACK_SANITIZE=ON >/dev/null
cmake --build "$asan_dir" -j "$jobs"
(cd "$asan_dir" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j 2 --timeout 900)
