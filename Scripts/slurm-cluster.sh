#!/usr/bin/env bash
# A real single-node Slurm cluster from Debian's packages, for trying and testing ablate's Slurm
# executor on one machine: munge, slurmctld and slurmd run as plain processes with all their
# state under STATE, the node has two fake GPUs (gres), and clients find the cluster through
# SLURM_CONF=STATE/etc/slurm.conf.
#
#   Scripts/slurm-cluster.sh start STATE   install the packages if needed, start the daemons, wait for the node
#   Scripts/slurm-cluster.sh stop STATE    cancel the cluster's jobs and stop the daemons this script started
#
# SLURM_NODE_CPUS=N makes the node advertise N CPUs (default: this machine's), so that more
# small jobs run side by side.
# Stopping uses the PIDs recorded at start, never process names, so other Slurm daemons on the
# machine are left alone.
set -euo pipefail

command=${1:-}
state=${2:-}
[ -n "$command" ] && [ -n "$state" ] || { echo "usage: $0 start|stop STATE" >&2; exit 2; }
mkdir -p "$state"
state=$(cd "$state" && pwd)
# munged refuses a socket under a directory that not everyone may enter (mktemp -d makes 0700).
chmod 0755 "$state"
conf="$state/etc/slurm.conf"
node=$(hostname -s)

install_packages() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null && return
  # Keep the packages from starting the system's own daemons while they install.
  local policy=/usr/sbin/policy-rc.d created=""
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge
  [ -z "$created" ] || rm -f "$policy"
}

write_configuration() {
  mkdir -p "$state"/{etc,log,run,spool/ctld,spool/d,dev}
  mkdir -p -m 0755 "$state/munge"
  if [ ! -f "$state/munge/munge.key" ]; then
    head -c 1024 /dev/urandom >"$state/munge/munge.key"
    chmod 0400 "$state/munge/munge.key"
  fi
  for gpu in 0 1; do ln -sf /dev/null "$state/dev/nvidia$gpu"; done
  local cpus memory
  cpus=${SLURM_NODE_CPUS:-$(nproc)}
  memory=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024))
  cat >"$conf" <<CONF
ClusterName=ablate-local
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$state/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$state/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
SchedulerParameters=batch_sched_delay=0
MailProg=/bin/true
MinJobAge=300
ReturnToService=2
GresTypes=gpu
StateSaveLocation=$state/spool/ctld
SlurmdSpoolDir=$state/spool/d
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmdParameters=config_overrides
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory Gres=gpu:2 State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
  cat >"$state/etc/gres.conf" <<CONF
AutoDetect=off
NodeName=$node Name=gpu File=$state/dev/nvidia[0-1]
CONF
}

# Starts a daemon in a session of its own and records its PID.
launch() {
  local name=$1
  shift
  setsid "$@" >"$state/log/$name.out" 2>&1 </dev/null &
  echo $! >"$state/run/$name.started"
}

running() { [ -f "$state/run/$1.started" ] && kill -0 "$(cat "$state/run/$1.started")" 2>/dev/null; }

start() {
  install_packages
  write_configuration
  running munged || launch munged munged -F --socket="$state/munge/munge.socket" --key-file="$state/munge/munge.key" \
    --pid-file="$state/run/munged.pid" --seed-file="$state/munge/munge.seed" --log-file="$state/log/munged.log"
  for _ in $(seq 50); do [ -S "$state/munge/munge.socket" ] && break; sleep 0.1; done
  if ! running munged || [ ! -S "$state/munge/munge.socket" ]; then
    echo "munged did not start:" >&2
    tail -n 5 "$state/log/munged.out" >&2
    exit 1
  fi
  running slurmctld || launch slurmctld slurmctld -D -f "$conf"
  running slurmd || launch slurmd slurmd -D -f "$conf" -N "$node"
  export SLURM_CONF="$conf"
  for _ in $(seq 150); do
    if timeout 5 sinfo -h -N -o '%T' 2>/dev/null | grep -qx idle; then
      echo "Slurm is up: export SLURM_CONF=$conf"
      return
    fi
    sleep 0.2
  done
  echo "the node did not become idle in 30 s; see $state/log/" >&2
  exit 1
}

stop() {
  export SLURM_CONF="$conf"
  if running slurmctld; then
    scancel --full -u "$(id -un)" 2>/dev/null || true
    for _ in $(seq 50); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  for daemon in slurmd slurmctld munged; do
    running "$daemon" || continue
    local pid
    pid=$(cat "$state/run/$daemon.started")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$state/run/$daemon.started"
  done
  echo "Slurm stopped"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop STATE" >&2; exit 2 ;;
esac
