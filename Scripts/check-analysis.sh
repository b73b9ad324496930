#!/usr/bin/env bash
# The analysis stages end to end, as CI checks them: Experiments/analysis-quickstart.yaml runs
# (safety per group, the reward model's scores, their relation to linguistic distance), the
# index holds every stage's metrics and per-item values, and both report tables render.
#
#   Scripts/check-analysis.sh [RUNS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-$(mktemp -d)}

ablate() { swift run --skip-build ablate "$@"; }
fail() { echo "check-analysis: $*" >&2; exit 1; }

ablate run Experiments/analysis-quickstart.yaml --runs-dir "$runs"
run=$(ls -d "$runs"/analysis-quickstart/*/ | head -n 1)
query() { sqlite3 "$run/index.sqlite" "$1"; }

unfinished=$(query "select group_concat(taskId, ', ') from task where state not in ('completed', 'cached')")
[ -z "$unfinished" ] || fail "tasks not completed: $unfinished"

# stage, metric name (SQL LIKE pattern), table, count: every task of the stage has that many.
expect() {
  local stage=$1 pattern=$2 table=$3 count=$4
  local short
  short=$(query "select group_concat(t.taskId, ', ') from task t where t.stage = '$stage' and
                 (select count(distinct m.name) from $table m where m.taskId = t.taskId and m.name like '$pattern') < $count")
  [ -z "$short" ] || fail "fewer than $count $pattern in $table for: $short"
  [ "$(query "select count(*) from task where stage = '$stage'")" -gt 0 ] || fail "no task of stage $stage"
}
expect safety 'safety/%' metric 9           # four groups, their p-values, the overall mean
expect safety 'safety/%' metricItem 4       # each group's per-statement placements
expect scores score/mean metric 1
expect scores score/mean metricItem 1
expect drift 'relate/%/spearman' metric 5   # sentence length, polarity, subjectivity, POS, lemmas
expect drift 'relate/%/n' metric 5
n=$(query "select min(value) from metric m join task t using (runId, taskId) where t.stage = 'drift' and m.name like 'relate/%/n'")
[ "${n%.*}" -ge 5 ] || fail "a correlation rests on $n items"
echo "every analysis stage's metrics are in the index"

ablate report analysis-quickstart --runs-dir "$runs" --format md
ablate report analysis-quickstart --runs-dir "$runs" --table safety --format md | grep -q "Safety score per group" || fail "no safety table"
