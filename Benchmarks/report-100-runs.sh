#!/usr/bin/env bash
# Benchmark: `ablate report` over 100 runs of 1,000 tasks with 20 metrics each (2 million
# metric values), in the release build users install (Scripts/build-release.sh). One real run
# is made, then copied under 99 other run ids (the index's run ids rewritten with sqlite3).
# Target on a 2-core machine: under 1 s.
# The first report reads the 100 indexes through SQLite and leaves a report.cache in each run;
# the later ones read those (a cache is used only while its index is unchanged).
#
# Usage: Benchmarks/report-100-runs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 command (apt-get install sqlite3)" >&2; exit 1; }
source Benchmarks/ablate-binary.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/score.sh" <<'SCRIPT'
# Writes 20 metrics for task $1 into $2/metrics.json.
{
  printf '{"i": %s' "$1"
  for m in $(seq 1 20); do printf ', "m%d": %d.%d' "$m" "$1" "$m"; done
  printf '}\n'
} >"$2/metrics.json"
SCRIPT
cat >"$work/study.yaml" <<SPEC
ablate: 1
name: report-bench
files:
  score: score.sh
sweep:
  grid:
    i: [$(seq -s, 1 1000)]
stages:
  score:
    kind: command
    command: [sh, "\${files.score}", "\${sweep.i}", "\${outputs.output}"]
SPEC
export ABLATE_RUNS_DIR="$work/Runs"
"$ablate" run "$work/study.yaml" --jobs 2 --cpus 2 >/dev/null 2>&1
base=$(ls -d "$work"/Runs/report-bench/*)
for n in $(seq 2 100); do
  copy="$work/Runs/report-bench/run-$n"
  cp -r "$base" "$copy"
  old=$(basename "$base")
  sqlite3 "$copy/index.sqlite" "PRAGMA foreign_keys=OFF; $(for t in run; do echo "UPDATE $t SET id='run-$n';"; done) $(for t in provenance task attempt param metric metricPoint artifact variant variantTask; do echo "UPDATE $t SET runId='run-$n';"; done)"
  sed -i "s/$old/run-$n/" "$copy/run.json"
done
runs=$(ls -d "$work"/Runs/report-bench/*)
echo "metric values: $(( $(sqlite3 "$base/index.sqlite" 'select count(*) from metric') * 100 )) in 100 runs"
for format in csv table md; do
  for attempt in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$work/time" "$ablate" report $runs --format $format >"$work/out"
    read -r seconds kilobytes <"$work/time"
    echo "report --format $format run $attempt: ${seconds} s, $((kilobytes / 1024)) MB, $(wc -l <"$work/out") lines"
  done
done
