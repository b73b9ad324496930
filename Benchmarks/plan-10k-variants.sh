#!/usr/bin/env bash
# Benchmark: `ablate plan` on a generated spec with 10,000 variants (a 10 x 10 x 10 x 10 grid
# of SFT data x DPO data x learning rate x seed) and the three stages of the data-impact study
# (SFT, DPO, lm-eval), in a release build: 20,010 tasks, since only SFT is shared.
# Then the same with 50,000 variants (a fifth axis of five values).
# Targets on a 2-core machine: 10,000 variants under 1 s and 200 MB resident, 50,000 under 5 s.
#
# Usage: Benchmarks/plan-10k-variants.sh [RUNS]   (default 5 runs; prints each and the best;
# ABLATE=PATH measures another build of ablate)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}

source Benchmarks/ablate-binary.sh

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

# 50,000 variants: the same study with a fifth axis of five values.
sed -e 's/^name: sweep-10k/name: sweep-50k/' -e 's/^  seeds:/    warmup: [0.0, 0.01, 0.02, 0.05, 0.1]\n  seeds:/' "$spec" >"$work/sweep-50k.yaml"
sed -i 's/learning_rate: "\${sweep.lr}"}/learning_rate: "${sweep.lr}", warmup_ratio: "${sweep.warmup}"}/' "$work/sweep-50k.yaml"
"$ablate" validate "$work/sweep-50k.yaml"
/usr/bin/time -f "%e %M" -o "$work/time" "$ablate" plan "$work/sweep-50k.yaml" --format json >"$work/out"
read -r seconds kilobytes <"$work/time"
echo "plan --format json, 50,000 variants: ${seconds} s, $((kilobytes / 1024)) MB max resident, $(wc -c <"$work/out") bytes of output"
