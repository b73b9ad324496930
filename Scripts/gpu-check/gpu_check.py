"""The GPU check's two steps that need PyTorch (Scripts/gpu-check.sh calls them):

    python gpu_check.py models DIR [--config-only] [--hidden 640 --layers 10 --intermediate 1728 --heads 10]
    python gpu_check.py run PLAN --root ROOT --python PYTHON --work DIR

`models` writes a Llama (DIR/model) and a one-label Llama classifier (DIR/reward_model) with the
tiny model's tokenizer (trained on its seeded corpus) and the given sizes (about 50M parameters by default), seeded, in bf16 on a
GPU that has it (else float32); --config-only writes their configs and tokenizers alone, which is
what ablate's planner reads. `run` runs the tasks of PLAN (`ablate plan --format json`) in order,
exactly as their commands say, with PYTHON for their interpreter, each task's outputs under
DIR/TASK, the paths the plan names under the plan's root moved to ROOT (the checkout may lie
elsewhere on the GPU machine), and prints per task its wall time, its time per optimizer step (the
trainer's train_runtime over its steps) or per prompt, its peak GPU memory (torch's
max_memory_reserved, from hooks/sitecustomize.py) and the planner's estimate beside it.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time

HOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hooks")
GIB = 1 << 30


def models(arguments):
    sys.path.insert(0, os.path.join(arguments.root, "Runners"))
    import torch
    from transformers import LlamaForCausalLM, LlamaForSequenceClassification

    from ablate_runners.tiny_model import build_tokenizer, corpus, llama_config

    tokenizer = build_tokenizer(list(corpus(random.Random(0))))
    dtype = torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32
    for name, model_class, extra in (("model", LlamaForCausalLM, {}), ("reward_model", LlamaForSequenceClassification, {"num_labels": 1})):
        config = llama_config(tokenizer)
        config.update(dict(hidden_size=arguments.hidden, intermediate_size=arguments.intermediate, num_hidden_layers=arguments.layers,
                           num_attention_heads=arguments.heads, num_key_value_heads=arguments.heads,
                           head_dim=arguments.hidden // arguments.heads, **extra))
        directory = os.path.join(arguments.directory, name)
        os.makedirs(directory, exist_ok=True)
        tokenizer.save_pretrained(directory)
        if arguments.config_only:
            config.save_pretrained(directory)
            continue
        torch.manual_seed(0)
        model = model_class(config).to(dtype)
        model.save_pretrained(directory)
        print(f"{name}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters in {dtype}", flush=True)


def resolved(argument, task_output, moved):
    """One plan argument as text: literal parts as they are, the task's own and other tasks' outputs
    under the work directory, local paths moved from the plan's root."""
    if isinstance(argument, str):
        return argument
    text = ""
    for part in argument:
        if isinstance(part, str):
            text += part
        elif "task" in part:
            text += os.path.join(task_output(part["task"]), part["output"])
        elif "path" in part:
            text += moved(part["path"])
        elif part.get("output") == "{out}":
            text += task_output(None)
        else:
            raise SystemExit(f"gpu-check: cannot run an argument part {part}")
    return text


def gib(value):
    return f"{value / GIB:.2f}" if value is not None else "-"


def pace(output, wall):
    """Seconds per optimizer step (a trainer) or per prompt (a sampler), from its metrics."""
    try:
        with open(os.path.join(output, "metrics.json"), encoding="utf-8") as handle:
            scalars = json.load(handle)
    except OSError:
        return "-"
    if scalars.get("train/steps"):
        runtime = wall
        with open(os.path.join(output, "metrics.jsonl"), encoding="utf-8") as handle:
            for line in handle:
                runtime = json.loads(line).get("train_runtime", runtime)
        return f"{runtime / scalars['train/steps']:.3f} s/step"
    prompts = scalars.get("generate/prompts")
    items = os.path.join(output, "items.jsonl")
    if prompts is None and os.path.exists(items):
        with open(items, encoding="utf-8") as handle:
            prompts = sum(1 for line in handle if line.strip())
    return f"{wall / prompts:.3f} s/prompt" if prompts else "-"


def run(arguments):
    with open(arguments.plan, encoding="utf-8") as handle:
        plan = json.load(handle)
    planned_root = arguments.planned_root.rstrip("/")
    root = os.path.abspath(arguments.root)

    def moved(path):
        return root + path[len(planned_root):] if path.startswith(planned_root + "/") else path

    rows = []
    for task in plan["tasks"]:
        identifier = task["id"]

        def task_output(other, identifier=identifier):
            return os.path.join(os.path.abspath(arguments.work), other or identifier)

        command = [resolved(argument, task_output, moved) for argument in task["command"]["arguments"]]
        command[0] = arguments.python
        environment = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                       "TOKENIZERS_PARALLELISM": "false"}
        for variable in task["command"]["environment"]:
            environment[variable["name"]] = resolved(variable["value"], task_output, moved)
        environment["PYTHONPATH"] = os.pathsep.join(
            [environment.get("PYTHONPATH", ""), *arguments.site, HOOKS]).strip(os.pathsep)
        peak_file = os.path.join(os.path.abspath(arguments.work), f"{identifier}.peak.json")
        environment["ABLATE_PEAK_MEMORY_FILE"] = peak_file
        os.makedirs(task_output(None), exist_ok=True)
        print(f"== {identifier}: {' '.join(command)}", flush=True)
        started = time.monotonic()
        result = subprocess.run(command, env=environment, cwd=task_output(None))
        wall = time.monotonic() - started
        if result.returncode != 0:
            raise SystemExit(f"gpu-check: task {identifier} failed with exit status {result.returncode}")
        peak = None
        if os.path.exists(peak_file):
            with open(peak_file, encoding="utf-8") as handle:
                peak = json.load(handle)["reserved"]
        parts = plan.get("memory", {}).get(identifier, {}).get("parts")
        estimate = sum(part["bytes"] for part in parts) if parts else None
        rows.append((identifier, f"{wall:.1f}", pace(task_output(None), wall), gib(peak), gib(estimate),
                     f"{estimate / peak:.2f}" if peak and estimate else "-"))
    header = ("task", "wall s", "pace", "peak GiB", "estimate GiB", "estimate/peak")
    widths = [max(len(str(row[index])) for row in [header, *rows]) for index in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))


def main():
    flags = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = flags.add_subparsers(dest="command", required=True)
    making = commands.add_parser("models")
    making.add_argument("directory")
    making.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    making.add_argument("--config-only", action="store_true")
    making.add_argument("--hidden", type=int, default=640)
    making.add_argument("--layers", type=int, default=10)
    making.add_argument("--intermediate", type=int, default=1728)
    making.add_argument("--heads", type=int, default=10)
    running = commands.add_parser("run")
    running.add_argument("plan")
    running.add_argument("--root", required=True)
    running.add_argument("--planned-root", required=True, help="the checkout the plan was made in")
    running.add_argument("--python", required=True)
    running.add_argument("--work", required=True)
    running.add_argument("--site", action="append", default=[], help="a folder of packages to put on the tasks' path")
    arguments = flags.parse_args()
    models(arguments) if arguments.command == "models" else run(arguments)


if __name__ == "__main__":
    main()
