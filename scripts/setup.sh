#!/usr/bin/env bash
# Installs every Debian package curvtrack's build, tests and demos need (only what is missing),
# then configures and builds into build/. Idempotent: a second run installs and rebuilds nothing.
#   bash scripts/setup.sh            # packages + build
#   CURVTRACK_BUILD_DIR=out bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake git pkg-config
  libtorch-dev libopenblas0-openmp          # LibTorch; OpenBLAS with OpenMP (reference BLAS is ~7x slower)
  libblas-dev                               # links the Krylov solvers' Gram-Schmidt kernel to libblas.so.3 (OpenBLAS at run time)
  libeigen3-dev libspectra-dev libboost-program-options-dev libboost-math-dev
  nlohmann-json3-dev zlib1g-dev catch2
  dataset-fashion-mnist                     # /usr/share/datasets/fashion-mnist
  python3-torch python3-scipy               # independent references for tests (golden values)
  gnuplot-nox                               # report figures
  libgloo-dev                               # LibTorch's Gloo process group headers (distributed)
  slurmctld slurmd slurm-client munge       # a real single-node Slurm cluster for the tests
  chromium                                  # headless check that report.html renders
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir=${CURVTRACK_BUILD_DIR:-build}
jobs=${CURVTRACK_JOBS:-$(nproc)}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "$jobs"
echo "setup: built $build_dir/tools/curvtrack/curvtrack"
