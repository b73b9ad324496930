#!/usr/bin/env bash
# The quickstart study end to end, as CI checks it: every task completes; the index holds the
# metrics of every stage and they show the effects the study is built to show
# (check-quickstart-effects.py); a second run comes entirely from the cache in seconds; deleting
# one PPO task's cached outputs and resuming re-runs that PPO task and its dependants only.
#
#   Scripts/check-quickstart.sh [RUNS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-$(mktemp -d)}

ablate() { swift run --skip-build ablate "$@"; }
fail() { echo "check-quickstart: $*" >&2; exit 1; }
milliseconds() { echo $(($(date +%s%N) / 1000000)); }
since() { local ms=$(($(milliseconds) - $1)); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }

start=$(milliseconds)
ablate run Experiments/quickstart.yaml --runs-dir "$runs"
echo "first run: $(since "$start") s"
run=$(ls -d "$runs"/quickstart/*/ | head -n 1)
index="$run/index.sqlite"
query() { sqlite3 "$index" "$1"; }

unfinished=$(query "select group_concat(taskId, ', ') from task where state not in ('completed', 'cached')")
[ -z "$unfinished" ] || fail "tasks not completed: $unfinished"

# stage, metric name (SQL LIKE pattern), table: every task of the stage must have it.
expect() {
  local stage=$1 pattern=$2 table=$3
  local missing
  missing=$(query "select group_concat(t.taskId, ', ') from task t where t.runId = (select id from run) and t.stage = '$stage'
                   and not exists (select 1 from $table m where m.runId = t.runId and m.taskId = t.taskId and m.name like '$pattern')")
  [ -z "$missing" ] || fail "no $pattern in $table for: $missing"
  [ "$(query "select count(*) from task where stage = '$stage'")" -gt 0 ] || fail "no task of stage $stage"
}
expect sft loss metricPoint
expect reward loss metricPoint
expect reward reward/accuracy metric
expect reward reward/eval_accuracy metric
expect dpo loss metricPoint
expect ppo objective/scores metricPoint
expect ppo loss/policy_avg metricPoint
expect bon bon/mean_reward metric
expect judge judge/win_rate metric
expect judge judge/win_rate metricItem
expect judge judge/reward metric
expect diversity per_input/distinct_n metric
expect diversity across_input/ead metric
expect eval quickstart_mc/acc metric
echo "every stage's metrics are in the index"
python3 Scripts/check-quickstart-effects.py "$run"

start=$(milliseconds)
ablate run Experiments/quickstart.yaml --runs-dir "$runs" --json >"$runs/second.jsonl"
elapsed=$(since "$start")
echo "second run: $elapsed s"
if grep '"event":"run-started"' "$runs/second.jsonl" | grep -q '"action":"run"'; then fail "the second run ran tasks"; fi
[ "${elapsed%.*}" -lt 20 ] || fail "the second run took $elapsed s"

# Delete seed 0's PPO outputs from the cache: resuming the first run re-runs that PPO task and what reads it.
ppo_outputs=$(readlink -f "$run/tasks/ppo[policy=ppo,seed=0]/outputs")
rm -rf "$ppo_outputs"
ablate resume "$run" --runs-dir "$runs" --json >"$runs/resume.jsonl"
reran=$(grep '"event":"task-ended"' "$runs/resume.jsonl" | sed -E 's/.*"task":"([^"]*)".*/\1/' | sort | tr '\n' ' ')
expected="diversity[policy=ppo,prompts=prompts-id,seed=0] diversity[policy=ppo,prompts=prompts-ood,seed=0] eval[policy=ppo,seed=0] generate[policy=ppo,prompts=prompts-id,seed=0] generate[policy=ppo,prompts=prompts-ood,seed=0] judge[policy=ppo,prompts=prompts-id,seed=0] judge[policy=ppo,prompts=prompts-ood,seed=0] ppo[policy=ppo,seed=0] "
[ "$reran" = "$expected" ] || fail "resume re-ran: $reran; expected: $expected"
echo "deleting PPO's outputs re-ran PPO and its dependants only"
