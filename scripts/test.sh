#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test (unit and
# integration) with ctest. Exit status is ctest's.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build_dir=${CURVTRACK_BUILD_DIR:-build}
cd "$build_dir"
ctest --output-on-failure -j "${CURVTRACK_TEST_JOBS:-2}" --timeout 900
