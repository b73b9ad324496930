#!/usr/bin/env bash
# The quickstart study on the Slurm cluster that SLURM_CONF points at, as CI checks it against a
# local run of the same study: the index must end with the same tasks, all completed, each with
# the same metrics, and every attempt must have been a Slurm job. To keep the two cores of the
# local cluster's node within CI's time, the cluster runs the first seed alone (the spec with
# `seeds: [0]`), and it is compared with the local run's tasks of that seed and of no seed.
#
#   Scripts/check-quickstart-slurm.sh LOCAL_RUNS_DIR [SLURM_RUNS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
local_runs=${1:?usage: $0 LOCAL_RUNS_DIR [SLURM_RUNS_DIR]}
runs=${2:-$(mktemp -d)}
[ -n "${SLURM_CONF:-}" ] || { echo "check-quickstart-slurm: SLURM_CONF is not set; Scripts/slurm-cluster.sh start STATE starts a cluster" >&2; exit 1; }

fail() { echo "check-quickstart-slurm: $*" >&2; exit 1; }
index_of() { echo "$(ls -d "$1"/quickstart/*/ | head -n 1)index.sqlite"; }

# The spec with one seed, beside a link to the data it reads (its paths are relative to it).
spec_dir=$(mktemp -d)
trap 'rm -rf "$spec_dir"' EXIT
ln -s "$PWD/Experiments/data" "$spec_dir/data"
sed 's/^  seeds: \[0, 1, 2\]$/  seeds: [0]/' Experiments/quickstart.yaml >"$spec_dir/quickstart.yaml"
grep -q '^  seeds: \[0\]$' "$spec_dir/quickstart.yaml" || fail "Experiments/quickstart.yaml no longer has the line 'seeds: [0, 1, 2]' this check narrows"

start=$(date +%s)
swift run --skip-build ablate run "$spec_dir/quickstart.yaml" --executor slurm --poll-interval 1 --runs-dir "$runs"
echo "quickstart (one seed) under Slurm: $(($(date +%s) - start)) s"
slurm_index=$(index_of "$runs")
local_index=$(index_of "$local_runs")

# The local run's tasks of seed 0, and those that no seed varies.
one_seed="taskId not like '%seed=1%' and taskId not like '%seed=2%'"
same() {
  local what=$1 query=$2
  diff <(sqlite3 "$local_index" "$query") <(sqlite3 "$slurm_index" "$query") >/dev/null \
    || { diff <(sqlite3 "$local_index" "$query") <(sqlite3 "$slurm_index" "$query") | head -20 >&2; fail "the $what differ from the local run's"; }
}
same "tasks and their states" "select taskId, state from task where $one_seed order by taskId"
same "metrics" "select taskId, name from metric where $one_seed order by taskId, name"
same "metric series" "select distinct taskId, name from metricPoint where $one_seed order by taskId, name"
same "per-item metrics" "select distinct taskId, name from metricItem where $one_seed order by taskId, name"
[ "$(sqlite3 "$slurm_index" "select executor from run")" = slurm ] || fail "the run does not say it used Slurm"
# Every stage is a job; the environment and fetch tasks, which need the network (pip, the hub), run
# on this machine as processes.
stages="select taskId from task where stage not in ('environment', 'fetch')"
without_job=$(sqlite3 "$slurm_index" "select count(*) from attempt where jobId is null and taskId in ($stages)")
[ "$without_job" = 0 ] || fail "$without_job attempts of stages were not Slurm jobs"
environment_jobs=$(sqlite3 "$slurm_index" "select count(*) from attempt where (jobId is not null or pid is null) and taskId not in ($stages)")
[ "$environment_jobs" = 0 ] || fail "$environment_jobs attempts of environment or fetch tasks did not run here as processes"
echo "the quickstart under Slurm ends with the same $(sqlite3 "$slurm_index" "select count(*) from task") tasks and $(sqlite3 "$slurm_index" "select count(*) from metric") metrics as the local run"
