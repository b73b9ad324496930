"""The quickstart_mc task's data: multiple-choice.jsonl beside this file, found from any working
directory (a relative `data_files` in the YAML would be read from the current one)."""

from pathlib import Path

import datasets


def load(**_):
    """The test split; lm-eval passes the task's metadata and dataset_kwargs, unused here."""
    return datasets.load_dataset("json", data_files={"test": str(Path(__file__).with_name("multiple-choice.jsonl"))})
