"""lm-evaluation-harness on a model or a chain of LoRA adapters, through the harness's Python API.

    python -m ablate_runners.lm_eval --model PATH --tasks NAME [NAME ...] [--task-dir DIR]
        [--num-fewshot N] [--batch-size B] [--limit L] [--seed S] [--max-length T]
        [--precision auto|bf16|fp16|fp32 --attention sdpa|flash_attention_2|eager]
        [--fetched FETCH_JSON ...] --output DIR

The model is loaded (adapters merged in memory, as --precision and --attention say) and handed to
the harness's HFLM, so adapters need no merged copy on disk; with several GPUs visible (the
task's), its layers are placed across them (from_pretrained's device_map="auto"), for a model too
large for one. --task-dir adds a directory of task YAMLs to the harness's own tasks;
--seed sets its four seeds (Python, NumPy, torch, few-shot), as the CLI's --seed does. --fetched
names the records of the fetch tasks that downloaded the tasks' datasets into the shared datasets
cache (`python -m ablate_runners.fetch --lm-eval-task`), from which the harness reads them offline.

Writes OUTPUT/results/results_<timestamp>.json, the layout the lm_eval CLI writes (results,
configs, versions, n-shot, ..., without the per-sample logs; ablate reads results.<task>
["acc,none"] and ["acc_stderr,none"] from it), and OUTPUT/results/samples_<task>.jsonl, the
per-sample logs of each task.

With ABLATE_CHECKPOINT_DIR, the harness's own request cache (`use_cache`) lives there, in
lm-eval-requests_rank<R>.db: a SQLite table of each model request's answer, keyed by the request,
which the harness writes (and commits) as each answer is computed. A later attempt answers the
requests cached from it and sends the model only the rest; sampled generations (do_sample) are
never cached. The harness reports no per-request progress to its caller, so no progress.json is written.
"""

import argparse
import json
import os
from datetime import datetime

from . import manifest
from .common import RunnerError, fail
from .models import load_tokenizer
from .precision import add_loading_arguments, announce, loading_for
from .progress import checkpoint_directory
from .sampling import placed

KIND = "lm-eval"
REQUEST_CACHE = "lm-eval-requests"
SEEDS = ["random_seed", "numpy_random_seed", "torch_random_seed", "fewshot_random_seed"]


def task_manager(task_dir, tasks):
    """The harness's task manager, with --task-dir; every task must be known to it. When every
    task is a plain task of --task-dir, the harness's own (some 15,000, a slow index) are left out."""
    from lm_eval.tasks import TaskManager

    if task_dir:
        if not os.path.isdir(task_dir):
            raise RunnerError(f"task directory not found: {task_dir}")
        local = TaskManager(include_path=os.path.abspath(task_dir), include_defaults=False)
        if set(tasks) <= set(local.all_subtasks):
            return local
    manager = TaskManager(include_path=os.path.abspath(task_dir) if task_dir else None)
    unknown = [name for name in tasks if name not in manager.all_tasks]
    if unknown:
        where = f"lm-eval's tasks or those in {task_dir}" if task_dir else "lm-eval's tasks (add local ones with --task-dir)"
        raise RunnerError(f"unknown lm-eval task{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: not among {where}")
    return manager


def check_fetched(records, tasks):
    """Every fetch record names a task this evaluation runs; says which datasets they fetched."""
    for path in records:
        try:
            with open(path, encoding="utf-8") as handle:
                record = json.load(handle)
        except (OSError, json.JSONDecodeError) as error:
            raise RunnerError(f"cannot read the fetch record {path}: {error}") from None
        if record.get("lm_eval_task") not in tasks:
            raise RunnerError(f"{path} fetched lm-eval task {record.get('lm_eval_task')!r}, which is not among --tasks {' '.join(tasks)}")
        print(f"lm-eval task {record['lm_eval_task']}: datasets {', '.join(record.get('datasets') or ['(local)'])} from the cache", flush=True)


def request_cache(directory):
    """simple_evaluate's use_cache: the request cache's path in `directory` (the harness appends
    _rank<R>.db), or None (no cache) without one."""
    return None if directory is None else os.path.join(directory, REQUEST_CACHE)


def evaluate(options, log_directory):
    """simple_evaluate's results, per-sample logs included, answering from the request cache in
    `log_directory` (when not None) what an earlier attempt computed."""
    import lm_eval
    import torch
    from lm_eval.models.huggingface import HFLM

    loading = loading_for(options)
    check_fetched(options.fetched, options.tasks)
    manager = task_manager(options.task_dir, options.tasks)
    announce(loading)
    # Several GPUs (the task's): one model placed across them.
    model = placed(options.model, loading, "device_map" if torch.cuda.device_count() > 1 else "shard")
    tokenizer = load_tokenizer(options.model)
    language_model = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=options.batch_size, max_length=options.max_length)
    seeds = {} if options.seed is None else dict.fromkeys(SEEDS, options.seed)
    return lm_eval.simple_evaluate(
        model=language_model, tasks=options.tasks, task_manager=manager, num_fewshot=options.num_fewshot,
        limit=options.limit, log_samples=True, use_cache=request_cache(log_directory), **seeds,
    )


def write_results(directory, results, model):
    """results_<timestamp>.json and samples_<task>.jsonl, as the lm_eval CLI writes them."""
    from lm_eval.utils import handle_non_serializable

    os.makedirs(directory, exist_ok=True)
    samples = results.pop("samples")
    results["model_name"] = model
    for task, logs in samples.items():
        with open(os.path.join(directory, f"samples_{task}.jsonl"), "w", encoding="utf-8") as handle:
            for log in logs:
                handle.write(json.dumps(log, default=handle_non_serializable, ensure_ascii=False) + "\n")
    stamp = datetime.now().isoformat().replace(":", "-")
    with open(os.path.join(directory, f"results_{stamp}.json"), "w", encoding="utf-8") as handle:
        handle.write(json.dumps(results, indent=2, default=handle_non_serializable, ensure_ascii=False) + "\n")


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(prog="python -m ablate_runners.lm_eval", description=__doc__.split("\n")[0])
    flags.add_argument("--model", required=True, help="a local model or LoRA adapter directory, or a hub id")
    flags.add_argument("--tasks", nargs="+", required=True)
    flags.add_argument("--task-dir", help="a directory of task YAMLs (the harness's --include_path)")
    flags.add_argument("--num-fewshot", type=int)
    flags.add_argument("--batch-size", type=int)
    flags.add_argument("--limit", type=float, help="items per task (a fraction when below 1)")
    flags.add_argument("--seed", type=int)
    flags.add_argument("--max-length", type=int, help="the model's context length in tokens (default: from its config)")
    add_loading_arguments(flags, quantization=False)
    flags.add_argument("--fetched", nargs="+", default=[], help="fetch.json of the fetch tasks of the tasks' datasets")
    flags.add_argument("--output", required=True)
    manifest.apply_defaults(flags, KIND)
    return flags


def main(arguments=None):
    options = parser().parse_args(arguments)
    try:
        results = evaluate(options, checkpoint_directory())
    except RunnerError as error:
        fail(str(error))
    write_results(os.path.join(options.output, "results"), results, options.model)


if __name__ == "__main__":
    main()
