#!/usr/bin/env bash
# The quickstart study on the Slurm cluster that SLURM_CONF points at, as CI checks it against a
# local run of the same study: the index must end with the same tasks, all completed, each with
# the same metrics, and every attempt must have been a Slurm job.
#
#   Scripts/check-quickstart-slurm.sh LOCAL_RUNS_DIR [SLURM_RUNS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
local_runs=${1:?usage: $0 LOCAL_RUNS_DIR [SLURM_RUNS_DIR]}
runs=${2:-$(mktemp -d)}
[ -n "${SLURM_CONF:-}" ] || { echo "check-quickstart-slurm: SLURM_CONF is not set; Scripts/slurm-cluster.sh start STATE starts a cluster" >&2; exit 1; }

fail() { echo "check-quickstart-slurm: $*" >&2; exit 1; }
index_of() { echo "$(ls -d "$1"/quickstart/*/ | head -n 1)index.sqlite"; }

start=$(date +%s)
swift run --skip-build ablate run Experiments/quickstart.yaml --executor slurm --poll-interval 1 --runs-dir "$runs"
echo "quickstart under Slurm: $(($(date +%s) - start)) s"
slurm_index=$(index_of "$runs")
local_index=$(index_of "$local_runs")

same() {
  local what=$1 query=$2
  diff <(sqlite3 "$local_index" "$query") <(sqlite3 "$slurm_index" "$query") >/dev/null \
    || { diff <(sqlite3 "$local_index" "$query") <(sqlite3 "$slurm_index" "$query") | head -20 >&2; fail "the $what differ from the local run's"; }
}
same "tasks and their states" "select taskId, state from task order by taskId"
same "metrics" "select taskId, name from metric order by taskId, name"
same "metric series" "select distinct taskId, name from metricPoint order by taskId, name"
same "per-item metrics" "select distinct taskId, name from metricItem order by taskId, name"
[ "$(sqlite3 "$slurm_index" "select executor from run")" = slurm ] || fail "the run does not say it used Slurm"
# Every stage is a job; the environment and fetch tasks, which need the network (pip, the hub), run
# on this machine as processes.
stages="select taskId from task where stage not in ('environment', 'fetch')"
without_job=$(sqlite3 "$slurm_index" "select count(*) from attempt where jobId is null and taskId in ($stages)")
[ "$without_job" = 0 ] || fail "$without_job attempts of stages were not Slurm jobs"
environment_jobs=$(sqlite3 "$slurm_index" "select count(*) from attempt where (jobId is not null or pid is null) and taskId not in ($stages)")
[ "$environment_jobs" = 0 ] || fail "$environment_jobs attempts of environment or fetch tasks did not run here as processes"
echo "the quickstart under Slurm ends with the same $(sqlite3 "$slurm_index" "select count(*) from task") tasks and $(sqlite3 "$slurm_index" "select count(*) from metric") metrics as the local run"
