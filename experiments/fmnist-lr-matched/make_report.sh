#!/usr/bin/env bash
# Copies every run's records into results/runs (config.ini, meta.json, metrics.csv,
# curvature.jsonl and the end-*.jsonl files of end_measures.sh; no checkpoints), then writes the
# report from those copies, so the committed files alone give every number:
#   results/report/report.md   the pre-registered analysis first (forest plot, verdicts), then
#                              the exploratory pairwise comparison constant_0.1 (the constant rate at 1cycle's mean
#                              effective LR) vs onecycle_lstar
#   results/report/analysis.md model fits, stratified relevance, measure-vs-effective-LR figures
# Usage: bash make_report.sh [RUNS_ROOT] [--records-only]   (default runs/fmnist-lr-matched)
#   --records-only   copy the records and stop (no report: for committing records while the end
#                    measures are still running)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
root=${1:-runs/fmnist-lr-matched}
records_only=${2:-}
ct=$PWD/build/tools/curvtrack/curvtrack
results=$here/results
mkdir -p "$results/runs"
for run in "$root"/*/seed-*; do
  [[ -f $run/meta.json ]] || continue
  dest=$results/runs/$(basename "$(dirname "$run")")/$(basename "$run")
  mkdir -p "$dest"
  for file in config.ini meta.json metrics.csv curvature.jsonl "$run"/end-*.jsonl; do
    file=$(basename "$file")
    [[ -f $run/$file ]] && cp "$run/$file" "$dest/$file"
  done
done
[[ $records_only == --records-only ]] && exit 0
# Paths relative to results/, so that the report names run directories as they are in the repository.
cd "$results"
"$ct" report runs --analysis ../study.ini --compare constant_0.1,onecycle_lstar \
    --title "fmnist-lr-matched: is 1cycle more than a large learning rate?" --out report
