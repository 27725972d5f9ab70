#!/usr/bin/env bash
# Fuzzes the torch-free parsers with libFuzzer + ASan + UBSan (fuzz/README.md):
#   scripts/fuzz.sh [SECONDS_PER_HARNESS] [RUNS] [HARNESS...]
# Builds fuzz/ with clang into build-fuzz/, runs every regression input once, then fuzzes each
# harness for at most SECONDS (default 120) or RUNS executions (default 1000000), whichever
# comes first, one process at a time. Prints executions and findings per harness; exit status
# non-zero when anything crashed, hung, ran out of memory, leaked or broke a checked property.
# Findings are kept in build-fuzz/findings/HARNESS/, logs in build-fuzz/logs/; the corpus grown
# while fuzzing in build-fuzz/corpus/HARNESS/ (fuzz/corpus/ holds the small checked-in seeds).
# Run it niced on shared machines: nice -n 19 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-120}
runs=${2:-1000000}
shift $(( $# < 2 ? $# : 2 ))
all_harnesses=(idx gunzip cifar config study metrics json_log run_meta npy npz)
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all_harnesses[@]}")
build_dir=${CURVTRACK_FUZZ_BUILD_DIR:-build-fuzz}
cxx=${CURVTRACK_FUZZ_CXX:-clang++}

if ! command -v "$cxx" >/dev/null; then
  echo "fuzz.sh: $cxx not found; install clang (Debian: apt-get install -y clang)" >&2
  exit 2
fi
if [ ! -f "$build_dir/build.ninja" ] && [ ! -f "$build_dir/Makefile" ]; then
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  cmake -S fuzz -B "$build_dir" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
fi
nice -n 19 cmake --build "$build_dir" -j "${CURVTRACK_FUZZ_BUILD_JOBS:-1}"

# Sanitizer reports abort with a stack; leaks are findings too (libFuzzer's default).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
common=(-timeout=5 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1)

# Per-harness options: CIFAR records are 3073/3074 bytes, so allow two of them; the INI
# harnesses are slower per byte and need no long inputs to reach their branches.
extra_options() {
  case "$1" in
    cifar) echo "-max_len=8192" ;;
    npy) echo "-max_len=1024" ;;
    npz) echo "-max_len=4096" ;;
    config) echo "-dict=fuzz/dicts/config.dict -max_len=1024" ;;
    study) echo "-dict=fuzz/dicts/study.dict -max_len=2048" ;;
    metrics) echo "-dict=fuzz/dicts/metrics.dict" ;;
    json_log | run_meta) echo "-dict=fuzz/dicts/json.dict" ;;
  esac
}

mkdir -p "$build_dir/logs"
declare -A executions rate regressions regression_failures findings
total_findings=0
for harness in "${harnesses[@]}"; do
  binary=$build_dir/fuzz_$harness
  if [ ! -x "$binary" ]; then
    echo "fuzz.sh: no harness $harness (known: ${all_harnesses[*]})" >&2
    exit 2
  fi
  findings_dir=$build_dir/findings/$harness
  corpus_dir=$build_dir/corpus/$harness
  log=$build_dir/logs/$harness.log
  mkdir -p "$findings_dir" "$corpus_dir"
  read -r -a options <<<"$(extra_options "$harness")"

  # Regression inputs: each must now pass, with every check on (no known-finding skips).
  regressions[$harness]=0
  regression_failures[$harness]=0
  for input in fuzz/regressions/"$harness"/*; do
    [ -f "$input" ] || continue
    regressions[$harness]=$((regressions[$harness] + 1))
    if ! nice -n 19 "$binary" "${common[@]}" "${options[@]}" "$input" >"$log.regression" 2>&1; then
      regression_failures[$harness]=$((regression_failures[$harness] + 1))
      echo "fuzz.sh: REGRESSION $input fails (fuzz_$harness):" >&2
      grep -E "FUZZ (PROPERTY|UNEXPECTED)|ERROR:|runtime error|SUMMARY" "$log.regression" | head -5 >&2 || true
    fi
  done

  # Exploration: known, reported findings are skipped so the time goes to new ones.
  before=$(find "$findings_dir" -type f | wc -l)
  echo "fuzz.sh: fuzzing $harness for at most ${seconds}s / $runs runs (log: $log)"
  status=0
  CURVTRACK_FUZZ_SKIP_KNOWN=1 nice -n 19 "$binary" "${common[@]}" "${options[@]}" -runs="$runs" \
    -max_total_time="$seconds" -artifact_prefix="$findings_dir/" "$corpus_dir" "fuzz/corpus/$harness" \
    >"$log" 2>&1 || status=$?
  after=$(find "$findings_dir" -type f | wc -l)
  new=$((after - before))
  if [ "$status" -ne 0 ] && [ "$new" -eq 0 ]; then new=1; fi
  if [ "$status" -ne 0 ]; then
    echo "fuzz.sh: FINDING in $harness (exit $status):" >&2
    grep -E "FUZZ (PROPERTY|UNEXPECTED)|ERROR:|runtime error|SUMMARY|Test unit written" "$log" | head -8 >&2 || true
  fi
  findings[$harness]=$new
  executions[$harness]=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ -z "${executions[$harness]}" ]; then  # stopped by a finding: the last status line
    executions[$harness]=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  fi
  rate[$harness]=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  total_findings=$((total_findings + new + regression_failures[$harness]))
done

# The harnesses' scratch folders (fuzz_common.hpp) of processes that have exited.
for folder in /dev/shm/curvtrack-fuzz-* "${TMPDIR:-/tmp}"/curvtrack-fuzz-*; do
  pid=${folder##*-}
  [[ -d $folder && $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && rm -rf "$folder"
done

printf '\n%-10s %12s %9s %12s %9s\n' harness executions exec/s regressions findings
for harness in "${harnesses[@]}"; do
  printf '%-10s %12s %9s %12s %9s\n' "$harness" "${executions[$harness]:-?}" "${rate[$harness]:--}" \
    "$((regressions[$harness] - regression_failures[$harness]))/${regressions[$harness]} pass" \
    "${findings[$harness]}"
done
if [ "$total_findings" -ne 0 ]; then
  echo "fuzz.sh: $total_findings finding(s): failing regressions above, new inputs in $build_dir/findings/" >&2
  exit 1
fi
echo "fuzz.sh: no findings"
