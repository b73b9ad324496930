#!/usr/bin/env bash
# Benchmark: `ablate plan` on a generated spec with 10,000 variants (a 10 x 10 x 10 x 10 grid
# of SFT data x DPO data x learning rate x seed) and the three stages of the data-impact study
# (SFT, DPO, lm-eval), in a release build: 20,010 tasks, since only SFT is shared.
# Target on a 2-core machine: under 1 s and under 200 MB resident.
#
# Usage: Benchmarks/plan-10k-variants.sh [RUNS]   (default 5 runs; prints each and the best)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}

swift build -c release --product ablate >/dev/null
ablate=$(swift build -c release --show-bin-path)/ablate

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
spec="$work/sweep-10k.yaml"
{
  echo "ablate: 1"
  echo "name: sweep-10k"
  echo "models:"
  echo "  base: {hub: org/base}"
  echo "datasets:"
  for i in $(seq 0 9); do echo "  sft$i: {hub: org/sft-$i, format: messages}"; done
  for i in $(seq 0 9); do echo "  pref$i: {hub: org/pref-$i, format: preference}"; done
  echo "defaults:"
  echo "  lora: {r: 8, alpha: 16}"
  echo "  resources: {gpus: 1, memory: 64G, time: 8h}"
  echo "sweep:"
  echo "  grid:"
  echo "    sft_data: [$(seq -s, -f 'sft%g' 0 9)]"
  echo "    dpo_data: [$(seq -s, -f 'pref%g' 0 9)]"
  echo "    lr: [1e-7, 2e-7, 5e-7, 1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4]"
  echo "  seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
  echo "stages:"
  echo "  sft: {kind: sft, model: base, data: \"\${sweep.sft_data}\", seed: 0}"
  echo "  dpo: {kind: dpo, model: \"\${stages.sft.model}\", data: \"\${sweep.dpo_data}\", learning_rate: \"\${sweep.lr}\"}"
  echo "  eval: {kind: lm-eval, model: \"\${stages.dpo.model}\", tasks: [arc_challenge, piqa]}"
} >"$spec"

"$ablate" validate "$spec"
for format in json tree; do
  best=""
  for run in $(seq 1 "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$ablate" plan "$spec" --format "$format" >"$work/out"
    read -r seconds kilobytes <"$work/time"
    echo "plan --format $format run $run: ${seconds} s, $((kilobytes / 1024)) MB max resident, $(wc -c <"$work/out") bytes of output"
    if [ -z "$best" ] || awk "BEGIN{exit !($seconds < $best)}"; then best=$seconds; fi
  done
  echo "plan --format $format best of $runs: ${best} s"
done
