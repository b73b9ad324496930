#!/usr/bin/env bash
# Benchmark: the Slurm executor submitting and following 500 trivial tasks (`true`) on a local
# Slurm cluster (release build). Reports the wall time, ablate's own CPU time per task, and the
# Slurm client calls it made: one sbatch per task, and per poll one squeue for all of the jobs
# (plus sacct, only for jobs that left the queue).
#
# Uses the cluster SLURM_CONF points at, or starts one with Scripts/slurm-cluster.sh (as root)
# whose node advertises 32 CPUs, so that the trivial jobs run side by side.
#
# Usage: Benchmarks/slurm-500-tasks.sh [TASKS] [POLL_INTERVAL]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-500}
poll=${2:-1}
swift build -c release --product ablate >/dev/null
ablate=$(swift build -c release --show-bin-path)/ablate
work=$(mktemp -d)
if [ -z "${SLURM_CONF:-}" ]; then
  SLURM_NODE_CPUS=32 Scripts/slurm-cluster.sh start "$work/slurm" >/dev/null
  trap 'Scripts/slurm-cluster.sh stop "$work/slurm" >/dev/null; rm -rf "$work"' EXIT
  export SLURM_CONF="$work/slurm/etc/slurm.conf"
else
  trap 'rm -rf "$work"' EXIT
fi

# Shims in front of PATH log every Slurm client call ablate makes, with its CPU time.
mkdir -p "$work/shims"
for program in sbatch squeue sacct scancel scontrol; do
  real=$(command -v "$program")
  printf '#!/bin/sh\nexec /usr/bin/time -a -o "%s/calls" -f "%s %%U %%S" "%s" "$@"\n' "$work" "$program" "$real" >"$work/shims/$program"
  chmod +x "$work/shims/$program"
done

{
  echo "ablate: 1"
  echo "name: slurm-$count"
  echo "executor: {type: slurm, poll_interval: $poll}"
  echo "sweep:"
  echo "  grid:"
  echo "    i: [$(seq -s, 1 "$count")]"
  echo "stages:"
  echo "  noop: {kind: command, command: [\"true\", \"\${sweep.i}\"]}"
} >"$work/study.yaml"

/usr/bin/time -f "%e %U %S %M" -o "$work/time" env PATH="$work/shims:$PATH" \
  "$ablate" run "$work/study.yaml" --runs-dir "$work/Runs" >/dev/null 2>"$work/stderr" || { tail "$work/stderr" >&2; exit 1; }
read -r wall user system kb <"$work/time"
calls() { grep -c "^$1 " "$work/calls" || true; }
client_cpu=$(awk '{ cpu += $2 + $3 } END { printf "%.2f", cpu }' "$work/calls")
polls=$(calls squeue)
echo "ablate --executor slurm, $count trivial tasks, poll interval $poll s:"
echo "  wall time:                $wall s ($(awk -v w="$wall" -v n="$count" 'BEGIN { printf "%.1f", n / w }') tasks/s), $((kb / 1024)) MB resident"
echo "  ablate's own CPU:         $(awk -v u="$user" -v s="$system" -v c="$client_cpu" -v n="$count" 'BEGIN { printf "%.2f s, %.1f ms per task", u + s - c, (u + s - c) * 1000 / n }') (the client commands' $client_cpu s left out)"
echo "  sbatch calls:             $(calls sbatch) ($(awk -v a="$(calls sbatch)" -v n="$count" 'BEGIN { printf "%.2f", a / n }') per task)"
echo "  polls (squeue calls):     $polls"
echo "  sacct / scontrol calls:   $(calls sacct) / $(calls scontrol)"
echo "  client calls per poll:    $(awk -v q="$polls" -v a="$(calls sacct)" -v c="$(calls scontrol)" 'BEGIN { printf "%.2f", (q + a + c) / q }')"
