#!/usr/bin/env bash
# curvtrack spectrum against the real PyHessian on PyHessian's default workload (top-5
# eigenvalues, trace, density), whole processes, alternating, medians: see compare_pyhessian.py
# and scripts/bench/README.md.
#
# Usage: scripts/bench/compare_pyhessian.sh [MODEL [N [THREADS [REPEATS]]]] [compare_pyhessian.py options]
#   e.g. scripts/bench/compare_pyhessian.sh --repeats 5 --variant "auto=--trace hutchinson:auto:0.2:100"
# Environment: PYHESSIAN_PATH (folder holding the pyhessian package), or PYHESSIAN_GIT_DIR (a git
#   repository or bare mirror of PyHessian, extracted for this run into a temporary folder);
#   CURVTRACK (binary; default build/tools/curvtrack/curvtrack), PYTHON (default /usr/bin/python3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
if [[ -z ${PYHESSIAN_PATH:-} ]]; then
  [[ -n ${PYHESSIAN_GIT_DIR:-} ]] || { echo "set PYHESSIAN_PATH or PYHESSIAN_GIT_DIR (see scripts/bench/README.md)" >&2; exit 2; }
  PYHESSIAN_PATH=$(mktemp -d /tmp/pyhessian.XXXXXX)
  trap 'rm -rf "$PYHESSIAN_PATH"' EXIT
  git --git-dir="$PYHESSIAN_GIT_DIR" archive HEAD | tar -x -C "$PYHESSIAN_PATH"
  echo "PyHessian $(git --git-dir="$PYHESSIAN_GIT_DIR" rev-parse --short HEAD) extracted to $PYHESSIAN_PATH" >&2
fi
export PYHESSIAN_PATH
# The earlier positional form MODEL [N [THREADS [REPEATS]]] still works.
positional=()
names=(--model --n --threads --repeats)
while [[ $# -gt 0 && $1 != -* && ${#positional[@]} -lt 8 ]]; do
  positional+=("${names[${#positional[@]} / 2]}" "$1"); shift
done
"$python" "$here/compare_pyhessian.py" "${positional[@]}" "$@"
