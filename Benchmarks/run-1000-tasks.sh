#!/usr/bin/env bash
# Benchmark: running 1,000 independent no-op tasks plus one task that depends on all of them,
# 2 at a time, with ablate (release build), Snakemake (installed into a throwaway venv) and a
# plain `xargs -P2` loop as the floor of process spawning:
#   (a) a cold run, (b) an immediate re-run with nothing to do, (c) a re-run after 10% of
#   the tasks were invalidated.
# Then ablate's resident memory planning and re-running 10,000 such tasks. Every time is the
# median of REPEATS runs (default 3), and the ratios the targets name are printed at the end,
# measured in the same run.
# Targets on a 2-core machine: cold run at most 2x the xargs floor and 0.05x Snakemake's time;
# the 10% re-run at most 0.15x Snakemake's; the no-op re-run under 0.05 s; under 100 MB resident
# for 10,000 tasks.
#
# Usage: Benchmarks/run-1000-tasks.sh   (SKIP_SNAKEMAKE=1 leaves Snakemake out; ABLATE=PATH
# measures another build of ablate)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source Benchmarks/ablate-binary.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count=1000
repeats=${REPEATS:-3}

seconds() { /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; return 1; }; read -r s kb <"$work/time"; echo "$s s, $((kb / 1024)) MB"; }
# The median of $repeats timings (in seconds, to the millisecond) of a setup command and the
# timed command, left in $median: "SETUP" "COMMAND..." (run in this shell, so that what the
# setup sets stays set). `times=N median ...` takes N timings instead.
median() {
  local setup=$1
  shift
  local count=${times:-$repeats} timings=() start
  for _ in $(seq 1 "$count"); do
    eval "$setup"
    start=$EPOCHREALTIME
    "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; return 1; }
    timings+=("$(awk "BEGIN { printf \"%.3f\", $EPOCHREALTIME - $start }")")
  done
  median=$(printf '%s\n' "${timings[@]}" | sort -n | sed -n "$(((count + 1) / 2))p")
}
ratio() { awk "BEGIN { printf \"%.3f\", $1 / $2 }"; }

# --- the spec: one no-op task per value of i, and one that gathers them all -----------------
spec() { # $1: number of tasks, $2: file, $3: a value that changes the first 10% of the tasks
  {
    echo "ablate: 1"
    echo "name: noop-$1"
    echo "sweep:"
    echo "  grid:"
    echo "    i: [$(seq -s, 1 "$1")]"
    echo "stages:"
    echo "  head: {kind: command, command: [\"true\", \"\${sweep.i}\", \"$3\"], when: {i: [$(seq -s, 1 $(($1 / 10)))]}}"
    echo "  tail: {kind: command, command: [\"true\", \"\${sweep.i}\"], unless: {i: [$(seq -s, 1 $(($1 / 10)))]}}"
    echo "  all: {kind: command, gather: [i], command: [\"true\", \"\${stages.head.output ?? stages.tail.output}\"]}"
  } >"$2"
}
# The first 10% of the tasks (stage "head") take an argument that differs between the two
# versions of the spec: changing it invalidates them and the gathering task.
spec $count "$work/study.yaml" v1
spec $count "$work/study-v2.yaml" v2
# Each repetition starts in a new directory, and nothing is deleted until the end: ext4 slows
# the creation of files for minutes after many were deleted (it skips recently freed inodes),
# which would charge each repetition for the files of the one before.
repetition=0
export ABLATE_RUNS_DIR="$work/Runs"

echo "ablate ($count no-op tasks + 1 gathering task, 2 at a time; medians of $repeats, 21 for (b)):"
fresh() { repetition=$((repetition + 1)) && export ABLATE_RUNS_DIR="$work/Runs-$repetition"; }
median fresh "$ablate" run "$work/study.yaml" --jobs 2 --cpus 2
cold=$median
echo "  (a) cold run:            $cold s"
# A re-run with nothing to do takes tens of milliseconds: the median of more of them.
times=21 median : "$ablate" resume noop-$count
noop=$median
echo "  (b) re-run, nothing new: $noop s"
# Each repetition starts from the run that ran v1 and changes the first 10% of the tasks.
median "fresh; \"$ablate\" run \"$work/study.yaml\" --jobs 2 --cpus 2 >/dev/null 2>&1" "$ablate" resume noop-$count --spec "$work/study-v2.yaml"
changed=$median
echo "  (c) 10% changed:         $changed s"

# --- xargs: the floor of spawning the same processes ----------------------------------------
echo "xargs -P2 ($((count + 1)) processes):"
median : sh -c "seq 1 $count | xargs -P2 -n1 true && true"
floor=$median
echo "  (a) cold run:            $floor s"

# --- Snakemake ------------------------------------------------------------------------------
if [ "${SKIP_SNAKEMAKE:-0}" != 1 ]; then
  python3 -m venv "$work/venv" && "$work/venv/bin/pip" install --quiet --disable-pip-version-check snakemake >/dev/null
  mkdir -p "$work/smk"
  cat >"$work/smk/Snakefile" <<SMK
N = $count
rule all:
    input: "all.done"
rule noop:
    output: "noop/{i}.done"
    params: version=lambda w: config.get("version", "v1") if int(w.i) <= N // 10 else "v1"
    shell: "true {wildcards.i} {params.version} && touch {output}"
rule gather:
    input: expand("noop/{i}.done", i=range(1, N + 1))
    output: "all.done"
    shell: "touch {output}"
SMK
  cd "$work/smk"
  smk="$work/venv/bin/snakemake --cores 2 --quiet all"
  echo "snakemake $("$work/venv/bin/snakemake" --version) (same DAG, 2 cores; medians of $repeats):"
  smk_fresh() { repetition=$((repetition + 1)) && mkdir "$work/smk-$repetition" && cp "$work/smk/Snakefile" "$work/smk-$repetition/" && cd "$work/smk-$repetition"; }
  median smk_fresh $smk
  smk_cold=$median
  echo "  (a) cold run:            $smk_cold s"
  median : $smk
  echo "  (b) re-run, nothing new: $median s"
  median "smk_fresh; $smk >/dev/null 2>&1" $smk --config version=v2 --rerun-triggers params
  smk_changed=$median
  echo "  (c) 10% changed:         $smk_changed s"
  cd "$root"
fi

echo "ratios (targets in brackets):"
echo "  cold run / xargs floor:      $(ratio "$cold" "$floor")  [<= 2]"
if [ -n "${smk_cold:-}" ]; then
  echo "  cold run / Snakemake:        $(ratio "$cold" "$smk_cold")  [<= 0.05]"
  echo "  10% changed / Snakemake:     $(ratio "$changed" "$smk_changed")  [<= 0.15]"
fi
echo "  no-op re-run:                $noop s  [<= 0.05 s]"

# --- memory for 10,000 tasks ------------------------------------------------------------------
spec 10000 "$work/study-10k.yaml" v1
echo "ablate, 10,000 no-op tasks:"
echo "  plan:                    $(seconds "$ablate" plan "$work/study-10k.yaml" --format json)"
echo "  cold run:                $(seconds "$ablate" run "$work/study-10k.yaml" --jobs 2 --cpus 2)"
echo "  re-run, nothing new:     $(seconds "$ablate" resume noop-10000)"
