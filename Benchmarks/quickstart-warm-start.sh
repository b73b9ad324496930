#!/usr/bin/env bash
# Benchmark: two studies from a fresh runs directory each (their environments already built in
# the user's cache), started cold (--no-warm-start: every built-in stage imports its libraries)
# and warm (one interpreter per environment imports them once and forks each task), alternately,
# REPEATS times each (default 2):
#   - Experiments/quickstart.yaml, today's quickstart (98 tasks, most of whose time is their own
#     work: 400 SFT steps, PPO, best-of-16);
#   - Benchmarks/quickstart-as-filed.yaml, the quickstart as it was when warm starts were planned
#     (35 tasks of a few steps each, whose time was mostly their imports).
# Prints each run's wall time, the medians and their ratio per study, and the stages that took
# longest in the last warm run.
# Target on a 2-core machine: warm under half of cold.
#
# Usage: Benchmarks/quickstart-warm-start.sh   (ABLATE=PATH measures another build of ablate;
# STUDIES="Benchmarks/quickstart-as-filed.yaml" measures one study)
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${REPEATS:-2}
studies=${STUDIES:-Experiments/quickstart.yaml Benchmarks/quickstart-as-filed.yaml}
source Benchmarks/ablate-binary.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

summary=()
for study in $studies; do
  name=$(basename "$study" .yaml)
  echo "== $study"
  # The environments, once, so that neither side pays for them.
  "$ablate" run "$study" --runs-dir "$work/$name-prime" >/dev/null 2>&1
  declare -A times=()
  for round in $(seq 1 "$repeats"); do
    for mode in cold warm; do
      flags=()
      [ "$mode" = cold ] && flags=(--no-warm-start)
      start=$(date +%s%N)
      "$ablate" run "$study" --runs-dir "$work/$name-$mode-$round" "${flags[@]}" >/dev/null 2>&1
      elapsed=$(awk "BEGIN { printf \"%.1f\", ($(date +%s%N) - $start) / 1e9 }")
      echo "$mode run $round: $elapsed s"
      times[$mode]="${times[$mode]:-} $elapsed"
    done
  done
  cold=$(median "${times[cold]}")
  warm=$(median "${times[warm]}")
  ratio=$(awk "BEGIN { printf \"%.2f\", $warm / $cold }")
  summary+=("$name: median cold $cold s, warm $warm s, warm / cold $ratio  [target < 0.5]")
  run=$(ls -d "$work/$name-warm-$repeats"/*/*/ | head -n 1)
  echo "tasks the warm interpreters started in the last warm run: $(cat "$run"warm/*.log | grep -c '^started')," \
    "refused: $(cat "$run"warm/*.log | grep -c '^refused')"
  echo "longest stages of the last warm run (task-seconds summed per stage, tasks):"
  sqlite3 "${run}index.sqlite" "select t.stage, round(sum((julianday(a.endedAt) - julianday(a.startedAt)) * 86400), 1) as s, count(*)
                    from attempt a join task t using (runId, taskId) group by t.stage order by s desc limit 6" | sed 's/^/  /'
  unset times
done
echo "=="
printf '%s\n' "${summary[@]}"
