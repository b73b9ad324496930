#!/usr/bin/env bash
# Benchmark: the quickstart study from a fresh runs directory (its environments already built
# in the user's cache), started cold (--no-warm-start: every built-in stage imports its
# libraries) and warm (one interpreter per environment imports them once and forks each task),
# alternately, REPEATS times each (default 2); prints each run's wall time, the medians, their
# ratio, and the stages that took longest in the last warm run.
# Target on a 2-core machine: warm under half of cold.
#
# Usage: Benchmarks/quickstart-warm-start.sh   (ABLATE=PATH measures another build of ablate)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${REPEATS:-2}
source Benchmarks/ablate-binary.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The environments, once, so that neither side pays for them.
"$ablate" run Experiments/quickstart.yaml --runs-dir "$work/prime" >/dev/null 2>&1

declare -A times
for round in $(seq 1 "$repeats"); do
  for mode in cold warm; do
    flags=()
    [ "$mode" = cold ] && flags=(--no-warm-start)
    runs="$work/$mode-$round"
    start=$(date +%s%N)
    "$ablate" run Experiments/quickstart.yaml --runs-dir "$runs" "${flags[@]}" >/dev/null 2>&1
    elapsed=$(awk "BEGIN { printf \"%.1f\", ($(date +%s%N) - $start) / 1e9 }")
    echo "$mode run $round: $elapsed s"
    times[$mode]="${times[$mode]:-} $elapsed"
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
cold=$(median "${times[cold]}")
warm=$(median "${times[warm]}")
echo "median cold: $cold s, warm: $warm s, warm / cold: $(awk "BEGIN { printf \"%.2f\", $warm / $cold }")  [target < 0.5]"
index=$(ls -d "$work/warm-$repeats"/quickstart/*/ | head -n 1)index.sqlite
echo "tasks the warm interpreters started in the last warm run: $(cat "$(dirname "$index")"/warm/*.log | grep -c '^started')," \
  "refused: $(cat "$(dirname "$index")"/warm/*.log | grep -c '^refused')"
echo "longest stages of the last warm run (task-seconds summed per stage, tasks):"
sqlite3 "$index" "select t.stage, round(sum((julianday(a.endedAt) - julianday(a.startedAt)) * 86400), 1) as s, count(*)
                  from attempt a join task t using (runId, taskId) group by t.stage order by s desc limit 6" | sed 's/^/  /'
