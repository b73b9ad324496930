#!/usr/bin/env bash
# The GPU check: the quickstart's training and sampling stages (Scripts/gpu-check/study.yaml) on
# one GPU in bf16, with a Llama of about 50M parameters built from a config, printing per task its
# wall time, time per step or prompt, peak GPU memory and ablate's memory estimate beside it.
#
#   Scripts/gpu-check.sh prepare [--small] [--no-wheels]   # here: configs, plan, wheels into .gpu-check/
#   Scripts/gpu-check.sh run [--python PYTHON]             # on the GPU machine (no Swift, no network)
#
# `prepare` runs where ablate builds: it writes the models' configs (no weights) into .gpu-check/,
# plans the study with them (`ablate plan --format json`: the commands and the memory estimates),
# and downloads as wheels the packages the GPU machine's Python lacks (TRL, datasets and their
# small dependencies; see ../shared/notes/gpu-machine.md). `run` installs the wheels beside the
# checkout, builds the models' weights on the GPU, and runs the plan's commands in order with that
# machine's Python (python3 by default, where PyTorch is). --small (a model of a few thousand
# parameters) and a machine without a GPU make a quick run of the same steps, which CI does.
set -euo pipefail
cd "$(dirname "$0")/.."
state=.gpu-check
step=${1:-}
shift || true

case "$step" in
prepare)
  sizes=() wheels=1
  for option in "$@"; do
    case "$option" in
    --small) sizes=(--hidden 64 --layers 2 --intermediate 128 --heads 4) ;;
    --no-wheels) wheels=0 ;;
    *) echo "gpu-check: unknown option $option" >&2; exit 2 ;;
    esac
  done
  rm -rf "$state" && mkdir -p "$state"
  runners_python=$(PYTHONPATH=Runners python3 -m ablate_runners.environment --requirements Runners/environments/runners.txt --print-python | tail -n 1)
  "$runners_python" Scripts/gpu-check/gpu_check.py models "$state" --config-only "${sizes[@]}"
  if [ ${#sizes[@]} -gt 0 ]; then printf '%s\n' "${sizes[@]}"; fi >"$state/sizes"
  swift run -c debug ablate plan Scripts/gpu-check/study.yaml --format json >"$state/plan.json"
  pwd >"$state/planned-root"
  if [ "$wheels" = 1 ]; then
    # What the GPU machine's Python 3.12 lacks, at the versions of the runners' environment.
    missing=()
    for package in trl datasets dill multiprocess xxhash; do
      missing+=("$package==$("$runners_python" -c 'import importlib.metadata, sys; print(importlib.metadata.version(sys.argv[1]))' "$package")")
    done
    python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 \
      --platform manylinux2014_x86_64 --platform any -d "$state/wheels" "${missing[@]}"
  fi
  echo "gpu-check: prepared $state (carry it with the checkout to the GPU machine, then run Scripts/gpu-check.sh run)"
  ;;
run)
  python=python3
  while [ $# -gt 0 ]; do
    case "$1" in
    --python) python=$2; shift 2 ;;
    *) echo "gpu-check: unknown option $1" >&2; exit 2 ;;
    esac
  done
  [ -f "$state/plan.json" ] || { echo "gpu-check: no $state/plan.json: run Scripts/gpu-check.sh prepare first" >&2; exit 1; }
  site=()
  if [ -d "$state/wheels" ]; then
    "$python" -m pip install --quiet --no-index --no-deps --target "$state/site" "$state"/wheels/*.whl
    site=(--site "$PWD/$state/site")
  fi
  "$python" -c 'import torch; print("torch", torch.__version__, "on", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU (no GPU)")'
  mapfile -t sizes <"$state/sizes"
  PYTHONPATH="${site[1]:-}" "$python" Scripts/gpu-check/gpu_check.py models "$state" "${sizes[@]}"
  rm -rf "$state/tasks"
  "$python" Scripts/gpu-check/gpu_check.py run "$state/plan.json" --root "$PWD" --planned-root "$(cat "$state/planned-root")" \
    --python "$python" --work "$state/tasks" "${site[@]}"
  ;;
*)
  echo "usage: Scripts/gpu-check.sh prepare [--small] [--no-wheels] | run [--python PYTHON]" >&2
  exit 2
  ;;
esac
