"""Helpers shared by the runners: reading samples, writing metrics, failing clearly."""

import json
import math
import os
import sys


class RunnerError(Exception):
    """Bad input: reported as one line on stderr, exit status 1."""


def fail(message):
    """Prints the cause on one line and exits with status 1. On one rank of a multi-process stage
    (torchrun gives it TORCHELASTIC_ERROR_FILE), the cause is also recorded in torch's error file,
    so that the launcher names it."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    if os.environ.get("TORCHELASTIC_ERROR_FILE"):
        from torch.distributed.elastic.multiprocessing.errors import ErrorHandler

        ErrorHandler().record_exception(RunnerError(message))
    sys.exit(1)


def read_samples(path):
    """Reads generated samples: `samples.jsonl` (in `path` if it is a directory), one object per
    prompt: {"prompt_id": ..., "prompt": ..., "samples": ["...", ...]}."""
    file = os.path.join(path, "samples.jsonl") if os.path.isdir(path) else path
    if not os.path.exists(file):
        raise RunnerError(f"no samples at {file}; a 'generate' or 'bon' stage writes samples.jsonl")
    prompts = []
    with open(file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise RunnerError(f"{file}:{number}: not JSON ({error.msg})") from None
            samples = record.get("samples")
            if not isinstance(samples, list) or not all(isinstance(sample, str) for sample in samples):
                raise RunnerError(f"{file}:{number}: 'samples' must be a list of strings")
            prompts.append({"id": str(record.get("prompt_id", number)), "prompt": record.get("prompt", ""), "samples": samples})
    if not prompts:
        raise RunnerError(f"{file} holds no samples")
    return prompts


def strict_number(value):
    """NaN and infinities become None, so that the JSON written is strict."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def write_metrics(directory, scalars, items=None):
    """Writes metrics.json and, when given, items.jsonl (one object per item) atomically."""
    os.makedirs(directory, exist_ok=True)
    scalar_text = json.dumps({k: strict_number(v) for k, v in sorted(scalars.items())}, indent=2) + "\n"
    write_atomically(os.path.join(directory, "metrics.json"), scalar_text)
    if items is not None:
        lines = "".join(json.dumps({k: strict_number(v) for k, v in item.items()}) + "\n" for item in items)
        write_atomically(os.path.join(directory, "items.jsonl"), lines)


def write_atomically(path, text):
    """Replaces the file at `path` with `text` in one step: a reader sees the old file or the new, never a part."""
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
