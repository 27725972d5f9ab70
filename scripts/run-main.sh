#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, then runs the fmnist-quick study
# (constant vs 1cycle on Fashion-MNIST, 3 seeds) on this machine and writes its report to
# runs/fmnist-quick/report/report.html. Idempotent: completed runs are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build_dir=${CURVTRACK_BUILD_DIR:-build}
"$build_dir/tools/curvtrack/curvtrack" sweep --study experiments/fmnist-quick/study.ini --report
echo "report: runs/fmnist-quick/report/report.html"
