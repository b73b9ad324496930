"""Imported by every Python process of the GPU check (its directory is on their path): when
ABLATE_PEAK_MEMORY_FILE is set, a process that used a CUDA GPU writes its peak memory there as it
exits ({"reserved": bytes, "allocated": bytes}, torch's max_memory_reserved/max_memory_allocated)."""

import atexit
import json
import os
import sys


def _write_peak():
    torch = sys.modules.get("torch")
    path = os.environ.get("ABLATE_PEAK_MEMORY_FILE")
    if torch is None or not path or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"reserved": torch.cuda.max_memory_reserved(), "allocated": torch.cuda.max_memory_allocated()}, handle)


if os.environ.get("ABLATE_PEAK_MEMORY_FILE"):
    atexit.register(_write_peak)
