#!/usr/bin/env bash
# Benchmark: the Slurm executor submitting and following 500 trivial tasks (`true`) on a local
# Slurm cluster (the release build users install, Scripts/build-release.sh). Reports the wall
# time, ablate's own CPU time per task, and the Slurm client calls it made: one sbatch per task,
# and per poll one squeue for all of the jobs (plus sacct, only for jobs that left the queue).
#
# Uses the cluster SLURM_CONF points at, or starts one with Scripts/slurm-cluster.sh (as root)
# whose node advertises 32 CPUs, so that the trivial jobs run side by side.
#
# Usage: Benchmarks/slurm-500-tasks.sh [TASKS] [POLL_INTERVAL]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-500}
poll=${2:-1}
source Benchmarks/ablate-binary.sh
work=$(mktemp -d)
if [ -z "${SLURM_CONF:-}" ]; then
  SLURM_NODE_CPUS=32 Scripts/slurm-cluster.sh start "$work/slurm" >/dev/null
  trap 'Scripts/slurm-cluster.sh stop "$work/slurm" >/dev/null; rm -rf "$work"' EXIT
  export SLURM_CONF="$work/slurm/etc/slurm.conf"
else
  trap 'rm -rf "$work"' EXIT
fi

# Shims in front of PATH log every Slurm client call ablate makes.
mkdir -p "$work/shims"
for program in sbatch squeue sacct scancel scontrol; do
  real=$(command -v "$program")
  printf '#!/bin/sh\necho %s >>"%s/calls"\nexec "%s" "$@"\n' "$program" "$work" "$real" >"$work/shims/$program"
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

# ablate's own CPU time (not its children's) is read from /proc after it has exited and before
# it is reaped (waitid with WNOWAIT); the peak resident memory from its VmHWM.
read -r wall cpu peak_kb < <(PATH="$work/shims:$PATH" python3 - "$ablate" "$work" <<'PY'
import os, subprocess, sys, time
ablate, work = sys.argv[1], sys.argv[2]
start = time.monotonic()
with open(work + "/stderr", "w") as stderr:
    child = subprocess.Popen([ablate, "run", work + "/study.yaml", "--runs-dir", work + "/Runs"], stdout=subprocess.DEVNULL, stderr=stderr)
peak = 0
while True:
    try:
        status = open(f"/proc/{child.pid}/status").read()
        peak = max(peak, int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM"))))
    except (OSError, StopIteration):
        pass
    if os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
        break
    time.sleep(0.1)
wall = time.monotonic() - start
fields = open(f"/proc/{child.pid}/stat").read().rsplit(")", 1)[1].split()
cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
if child.wait() != 0:
    sys.exit(1)
print(f"{wall:.2f} {cpu:.2f} {peak}")
PY
) || { tail "$work/stderr" >&2; exit 1; }
calls() { grep -c "^$1\$" "$work/calls" || true; }
polls=$(calls squeue)
echo "ablate --executor slurm, $count trivial tasks, poll interval $poll s:"
echo "  wall time:                $wall s ($(awk -v w="$wall" -v n="$count" 'BEGIN { printf "%.1f", n / w }') tasks/s), $((peak_kb / 1024)) MB resident at most"
echo "  ablate's own CPU:         $cpu s, $(awk -v c="$cpu" -v n="$count" 'BEGIN { printf "%.1f", c * 1000 / n }') ms per task (user + system, its child processes left out)"
echo "  sbatch calls:             $(calls sbatch) ($(awk -v a="$(calls sbatch)" -v n="$count" 'BEGIN { printf "%.2f", a / n }') per task)"
echo "  polls (squeue calls):     $polls"
echo "  sacct / scontrol calls:   $(calls sacct) / $(calls scontrol)"
echo "  client calls per poll:    $(awk -v q="$polls" -v a="$(calls sacct)" -v c="$(calls scontrol)" 'BEGIN { printf "%.2f", (q + a + c) / q }')"
