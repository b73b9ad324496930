"""Reading a stage's dataset: a local JSONL/JSON/CSV/Parquet file or directory, or a hub id,
normalised to the columns TRL's trainers expect.

Formats (the spec's `format:`, named in the runner manifest): `messages`, `prompt-completion`,
`preference` (TRL's prompt/chosen/rejected, HH-RLHF's raw "\\n\\nHuman: … \\n\\nAssistant: …" pairs,
or SHP's history/human_ref_A/human_ref_B/labels), `prompt-only` and `multiple-choice`.
"""

import os

from . import manifest
from .common import RunnerError

LOCAL_BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
HH_ASSISTANT = "\n\nAssistant:"


def add_dataset_arguments(parser, role, required=False):
    flag = "--" + role.replace("_", "-")
    parser.add_argument(flag, required=required, help=f"{role} dataset: a local file or directory, or a hub id")
    parser.add_argument(f"{flag}-format", default=None)
    parser.add_argument(f"{flag}-split", default="train")
    parser.add_argument(f"{flag}-subset", default=None)
    parser.add_argument(f"{flag}-sample", type=int, default=None, help="records to sample (all when absent)")


def load_records(arguments, role, seed=0):
    """The dataset of `role` as a `datasets.Dataset`, normalised to its format's columns."""
    from datasets import load_dataset

    name = role.replace("-", "_")
    path = getattr(arguments, name)
    data_format = checked_format(arguments, name)
    split = getattr(arguments, f"{name}_split")
    subset = getattr(arguments, f"{name}_subset")
    if os.path.exists(path):
        path = os.path.abspath(path)
        if os.path.isdir(path):
            dataset = load_dataset(path, subset, split=split)
        else:
            builder = LOCAL_BUILDERS.get(os.path.splitext(path)[1])
            if builder is None:
                raise RunnerError(f"{path}: unknown file type; use .jsonl, .json, .csv or .parquet")
            dataset = load_dataset(builder, data_files={split: path}, split=split)
    elif path.startswith(("/", "./", "../")) or os.path.splitext(path)[1] in LOCAL_BUILDERS:
        # A file name is never a hub id: do not let it fall through to a hub lookup.
        raise RunnerError(f"dataset not found: {path}")
    else:
        dataset = load_dataset(path, subset, split=split)
    sample = getattr(arguments, f"{name}_sample")
    if sample is not None and sample < len(dataset):
        dataset = dataset.shuffle(seed=seed).select(range(sample))
    if len(dataset) == 0:
        raise RunnerError(f"{path} has no records in split '{split}'")
    return normalised(dataset, data_format, path)


def checked_format(arguments, name):
    """The format given for the dataset `name` (None when absent), checked against the manifest's
    format names before any data is read."""
    data_format = getattr(arguments, f"{name}_format")
    if data_format is not None and data_format not in manifest.formats():
        flag = "--" + name.replace("_", "-") + "-format"
        raise RunnerError(f"{flag}: unknown format '{data_format}'; use one of {', '.join(manifest.formats())}")
    return data_format


def normalised(dataset, data_format, path):
    columns = set(dataset.column_names)
    if data_format == "preference" or (data_format is None and {"chosen", "rejected"} <= columns):
        return preference_pairs(dataset, path)
    if {"human_ref_A", "human_ref_B", "labels"} <= columns:
        return preference_pairs(dataset, path)
    required = {"messages": {"messages"}, "prompt-completion": {"prompt", "completion"}, "prompt-only": {"prompt"},
                "multiple-choice": {"question", "choices", "answer"}}.get(data_format, set())
    if not required <= columns:
        raise RunnerError(f"{path}: format '{data_format}' needs the columns {sorted(required)}; it has {sorted(columns)}")
    return dataset


def preference_pairs(dataset, path):
    """prompt/chosen/rejected columns from any of the three preference layouts."""
    columns = set(dataset.column_names)
    if {"human_ref_A", "human_ref_B", "labels", "history"} <= columns:
        def shp(record):
            a_preferred = int(record["labels"]) == 1
            chosen, rejected = (record["human_ref_A"], record["human_ref_B"]) if a_preferred else (record["human_ref_B"], record["human_ref_A"])
            return {"prompt": record["history"], "chosen": chosen, "rejected": rejected}
        return dataset.map(shp, remove_columns=sorted(columns))
    if not {"chosen", "rejected"} <= columns:
        raise RunnerError(f"{path}: preference data needs chosen/rejected (or SHP's history/human_ref_A/human_ref_B/labels); it has {sorted(columns)}")
    if "prompt" in columns:
        return dataset.select_columns(["prompt", "chosen", "rejected"])

    def hh(record):
        chosen, rejected = record["chosen"], record["rejected"]
        cut = chosen.rfind(HH_ASSISTANT)
        if cut < 0 or chosen[: cut + len(HH_ASSISTANT)] != rejected[: cut + len(HH_ASSISTANT)]:
            raise RunnerError(f"{path}: an HH-RLHF pair without a shared '\\n\\nHuman: … \\n\\nAssistant:' prompt")
        end = cut + len(HH_ASSISTANT)
        return {"prompt": chosen[:end], "chosen": chosen[end:], "rejected": rejected[end:]}
    return dataset.map(hh, remove_columns=sorted(columns))


def prompts_of(dataset):
    """The prompt text of each record, whatever the format."""
    prompts = []
    for record in dataset:
        if "prompt" in record and isinstance(record["prompt"], str):
            prompts.append(record["prompt"])
        elif "messages" in record:
            users = [m["content"] for m in record["messages"] if m.get("role") == "user"]
            prompts.append(users[0] if users else "")
        elif "question" in record:
            prompts.append(record["question"])
        else:
            raise RunnerError(f"a record without a prompt: {sorted(record)}")
    return prompts
