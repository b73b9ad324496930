"""Reading a stage's dataset: a local JSONL/JSON/CSV/Parquet file or directory, or a hub id,
normalised to the columns TRL's trainers expect.

Formats (the spec's `format:`, named in the runner manifest): `messages`, `prompt-completion`,
`preference`, `prompt-only`, `multiple-choice` and `statements` (statements about demographic groups
with a human toxicity rating, in the columns of ToxiGen's `annotated` configuration: `text`,
`target_group`, `toxicity_human`). A format's data may come in any of the layouts of
LAYOUTS (the native columns, or the columns of a dataset the seed studies use, such as LIMA's
`conversations` or OpenOrca's `system_prompt`/`question`/`response`), found from the columns. A
dataset in no known layout is mapped with `--ROLE-columns TARGET=COLUMN …` and `--ROLE-template`
(the spec's `columns:` and `template:`), which build the target columns before the layouts are tried.
"""

import os
from collections import namedtuple

from . import manifest
from .common import RunnerError

LOCAL_BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zst")
HH_ASSISTANT = "\n\nAssistant:"
TARGETS = ("prompt", "completion", "system", "chosen", "rejected", "messages", "text", "target_group", "toxicity_human")
# The formats whose layouts can serve a requested format, in the order tried: a prompt-completion
# record has a prompt, so prompt-only data may be in any prompt-completion layout too.
SERVED_BY = {"prompt-only": ("prompt-only", "prompt-completion")}
# The targets a format's mapping writes, shown in the hint of an error.
MAPPING_HINTS = {"messages": ("messages",), "prompt-completion": ("prompt", "completion"), "prompt-only": ("prompt",),
                 "preference": ("prompt", "chosen", "rejected"), "statements": ("text", "target_group", "toxicity_human")}
# ToxiGen rates toxicity from 1 (benign) to 5 (very harmful).
TOXICITY_SCALE = (1, 5)


def add_dataset_arguments(parser, role, required=False):
    flag = "--" + role.replace("_", "-")
    parser.add_argument(flag, required=required, help=f"{role} dataset: a local file or directory, or a hub id")
    parser.add_argument(f"{flag}-format", default=None)
    parser.add_argument(f"{flag}-split", default="train")
    parser.add_argument(f"{flag}-subset", default=None)
    parser.add_argument(f"{flag}-sample", type=int, default=None, help="records to sample (all when absent)")
    parser.add_argument(f"{flag}-columns", nargs="+", default=None, metavar="TARGET=COLUMN",
                        help=f"columns to read the targets from, the targets among {', '.join(TARGETS)}")
    parser.add_argument(f"{flag}-template", default=None, help="a Python format string that builds the prompt from a record's fields")


def load_records(arguments, role, seed=0):
    """The dataset of `role` as a `datasets.Dataset`, normalised to its format's columns."""
    name = role.replace("-", "_")
    path = getattr(arguments, name)
    data_format = checked_format(arguments, name)
    mapping = checked_mapping(arguments, name)
    template = getattr(arguments, f"{name}_template")
    split = getattr(arguments, f"{name}_split")
    dataset = read_dataset(path, getattr(arguments, f"{name}_subset"), split)
    sample = getattr(arguments, f"{name}_sample")
    if sample is not None and sample < len(dataset):
        dataset = dataset.shuffle(seed=seed).select(range(sample))
    if len(dataset) == 0:
        raise RunnerError(f"{path} has no records in split '{split}'")
    if mapping or template is not None:
        dataset = mapped(dataset, mapping, template, data_format, path)
    return normalised(dataset, data_format, path)


def read_dataset(path, subset, split):
    """The split of a local file or directory (a hub snapshot that ablate fetched is one), or of a
    hub dataset; a missing file never falls through to a hub lookup."""
    from datasets import load_dataset

    if os.path.exists(path):
        path = os.path.abspath(path)
        if os.path.isdir(path):
            return read_directory(path, subset, split)
        return load_dataset(file_builder(path), data_files={split: path}, split=split)
    if path.startswith(("/", "./", "../")) or data_extension(path) in LOCAL_BUILDERS:
        raise RunnerError(f"dataset not found: {path}")
    return load_dataset(path, subset, split=split)


def file_builder(path):
    builder = LOCAL_BUILDERS.get(data_extension(path))
    if builder is None:
        raise RunnerError(f"{path}: unknown file type; use .jsonl, .json, .csv or .parquet (compressed with .gz or not)")
    return builder


def data_extension(path):
    """`.jsonl` for `train.jsonl` and for HH-RLHF's `train.jsonl.gz`."""
    stem, extension = os.path.splitext(path)
    return os.path.splitext(stem)[1] if extension in COMPRESSIONS else extension


def data_stem(name):
    stem = os.path.splitext(name)[0]
    return os.path.splitext(stem)[0] if os.path.splitext(name)[1] in COMPRESSIONS else stem


def read_directory(path, subset, split):
    """A directory's split (a fetched hub snapshot is one), found as the dataset's own loading script
    or card would. A subset that is a folder (HH-RLHF's `harmless-base`, CNN/DailyMail's `3.0.0`, the
    `alpaca_instructions` of AlpacaFarm) is read from that folder, and one that is a data file
    (AlpacaFarm's `alpaca_human_preference.json`) is that file, read as the split asked for. A split
    whose name `datasets` does not infer from file names (AlpacaFarm's `sft`) is read from the files
    named after it (`sft.json`, `sft-00000-of-00001.parquet`). Anything else is read as `datasets`
    reads a directory, with the configurations its README declares."""
    from datasets import load_dataset

    if subset and not os.path.isdir(os.path.join(path, subset)):
        files = [name for name in sorted(os.listdir(path)) if data_stem(name) == subset and data_extension(name) in LOCAL_BUILDERS]
        if files:
            return load_dataset(file_builder(files[0]), data_files={split: os.path.join(path, files[0])}, split=split)
    root = os.path.join(path, subset) if subset and os.path.isdir(os.path.join(path, subset)) else path
    named = split_files(root, split)
    if named:
        return load_dataset(file_builder(named[0]), data_files={split: named}, split=split)
    if root != path:
        return load_dataset(path, data_dir=subset, split=split)
    return load_dataset(path, subset, split=split)


def split_files(folder, split):
    """The data files of `folder` (and its folders) named after the split, in sorted order."""
    found = []
    for directory, _, names in os.walk(folder):
        for name in names:
            stem = data_stem(name)
            if data_extension(name) in LOCAL_BUILDERS and (stem == split or stem.startswith(split + "-")):
                found.append(os.path.join(directory, name))
    return sorted(found)


def checked_format(arguments, name):
    """The format given for the dataset `name` (None when absent), checked against the manifest's
    format names before any data is read."""
    data_format = getattr(arguments, f"{name}_format")
    if data_format is not None and data_format not in manifest.formats():
        flag = "--" + name.replace("_", "-") + "-format"
        raise RunnerError(f"{flag}: unknown format '{data_format}'; use one of {', '.join(manifest.formats())}")
    return data_format


def checked_mapping(arguments, name):
    """{target: column} from `--ROLE-columns TARGET=COLUMN …`, refused before any data is read
    when an item is malformed or names an unknown target."""
    mapping = {}
    for item in getattr(arguments, f"{name}_columns") or ():
        target, equals, column = item.partition("=")
        if not equals or not column or target not in TARGETS:
            flag = "--" + name.replace("_", "-") + "-columns"
            raise RunnerError(f"{flag}: '{item}' is not TARGET=COLUMN with TARGET among {', '.join(TARGETS)}")
        mapping[target] = column
    return mapping


def mapping_hint(data_format):
    """How to map the columns for the format: the spec's `columns:`, a placeholder for each column."""
    targets = MAPPING_HINTS.get(data_format or "prompt-completion")
    if targets is None:
        return "rename them to question, choices and answer"
    return "map them in the spec: columns: {" + ", ".join(f"{target}: COLUMN" for target in targets) + "}"


def mapped(dataset, mapping, template, data_format, path):
    """The target columns only (and `id`, which names a prompt), read through the mapping and the
    template; both are checked against the first record, so that a wrong column fails at once
    rather than deep in a trainer."""
    columns = sorted(dataset.column_names)
    if "system" in mapping and not {"prompt", "messages"} & set(mapping) and template is None:
        raise RunnerError(f"{path}: columns maps a system prompt but no prompt or messages to put it in")
    missing = sorted(set(mapping.values()) - set(columns))
    if missing:
        raise RunnerError(f"{path} has the columns {columns}, not {missing}; {mapping_hint(data_format)}")
    if template is not None:
        templated(template, dataset[0], columns, path)

    def record_targets(record):
        values = {target: record[column] for target, column in mapping.items()}
        if template is not None:
            values["prompt"] = template.format(**record)
        system = values.pop("system", None)
        if "messages" in values:
            values["messages"] = with_system_message(system, conversation(values["messages"]))
        elif system is not None:
            values["prompt"] = with_system(system, values["prompt"])
        return values
    return dataset.map(record_targets, remove_columns=[column for column in columns if column != "id"])


def templated(template, record, columns, path):
    """The template filled from `record`, or a RunnerError that names the field it lacks."""
    try:
        return template.format(**record)
    except KeyError as error:
        raise RunnerError(f"{path}: the template names {error}, but the dataset has the columns {columns}") from None
    except (IndexError, ValueError) as error:
        raise RunnerError(f"{path}: the template '{template}' is not a format string of named fields ({error})") from None


def with_system(system, prompt):
    """The prompt text with the system prompt before it: the formats are plain text here (the
    samplers, judge and analyses read prompts as strings), so the instruction is kept in the text."""
    return f"{system}\n\n{prompt}" if system else prompt


def with_system_message(system, messages):
    return [{"role": "system", "content": system}, *messages] if system else messages


def conversation(turns):
    """Chat messages from a list of messages, or from a list of strings alternating user and
    assistant (LIMA's `conversations`)."""
    return [{"role": ("user", "assistant")[index % 2], "content": turn} if isinstance(turn, str) else turn
            for index, turn in enumerate(turns)]


def alpaca_prompt(record):
    """AlpacaFarm's instruction, with its input after a blank line when there is one."""
    return f"{record['instruction']}\n\n{record['input']}" if record["input"] else record["instruction"]


def shp_pair(record):
    """(preferred, other) of an SHP record: `labels` is 1 when comment A is preferred."""
    a, b = record["human_ref_A"], record["human_ref_B"]
    return (a, b) if int(record["labels"]) == 1 else (b, a)


def alpaca_farm_pair(record):
    """(preferred, other) of an AlpacaFarm preference record: `preference` names output 1 or 2."""
    one, two = record["output_1"], record["output_2"]
    return (one, two) if int(record["preference"]) == 1 else (two, one)


def hh_cut(text):
    """Where an HH-RLHF conversation's last assistant turn begins (after its "\\n\\nAssistant:"), or -1."""
    cut = text.rfind(HH_ASSISTANT)
    return cut + len(HH_ASSISTANT) if cut >= 0 else -1


def hh_pair(record):
    end = hh_cut(record["chosen"])
    if end < 0 or record["chosen"][:end] != record["rejected"][:end]:
        raise RunnerError("an HH-RLHF pair without a shared '\\n\\nHuman: … \\n\\nAssistant:' prompt")
    return {"prompt": record["chosen"][:end], "chosen": record["chosen"][end:], "rejected": record["rejected"][end:]}


def hh_demonstration(record):
    end = hh_cut(record["chosen"])
    if end < 0:
        raise RunnerError("an HH-RLHF conversation without a '\\n\\nAssistant:' turn")
    return {"prompt": record["chosen"][:end], "completion": record["chosen"][end:]}


def preferred(prompt, pair):
    chosen, rejected = pair
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


Layout = namedtuple("Layout", "name format columns convert")
# Tried in order, the first whose columns a dataset has wins; convert None keeps the records as
# they are (every column), else it maps a record to the format's columns. With no format given,
# every layout is tried, preference first (raw chosen/rejected pairs are preference data).
LAYOUTS = (
    Layout("TRL preference", "preference", ("prompt", "chosen", "rejected"),
           lambda r: {"prompt": r["prompt"], "chosen": r["chosen"], "rejected": r["rejected"]}),
    Layout("SHP", "preference", ("history", "human_ref_A", "human_ref_B", "labels"), lambda r: preferred(r["history"], shp_pair(r))),
    Layout("AlpacaFarm preference", "preference", ("instruction", "input", "output_1", "output_2", "preference"),
           lambda r: preferred(alpaca_prompt(r), alpaca_farm_pair(r))),
    Layout("HH-RLHF", "preference", ("chosen", "rejected"), hh_pair),
    Layout("TRL messages", "messages", ("messages",), None),
    Layout("LIMA", "messages", ("conversations",), lambda r: {"messages": conversation(r["conversations"])}),
    Layout("TRL prompt-completion", "prompt-completion", ("prompt", "completion"), None),
    Layout("TL;DR", "prompt-completion", ("prompt", "label"), lambda r: {"prompt": r["prompt"], "completion": r["label"]}),
    Layout("OpenOrca", "prompt-completion", ("system_prompt", "question", "response"),
           lambda r: {"prompt": with_system(r["system_prompt"], r["question"]), "completion": r["response"]}),
    Layout("AlpacaFarm instructions", "prompt-completion", ("instruction", "input", "output"),
           lambda r: {"prompt": alpaca_prompt(r), "completion": r["output"]}),
    Layout("AlpacaEval", "prompt-completion", ("instruction", "output"), lambda r: {"prompt": r["instruction"], "completion": r["output"]}),
    Layout("CNN/DailyMail", "prompt-completion", ("article", "highlights"), lambda r: {"prompt": r["article"], "completion": r["highlights"]}),
    Layout("SHP preferred", "prompt-completion", ("history", "human_ref_A", "human_ref_B", "labels"),
           lambda r: {"prompt": r["history"], "completion": shp_pair(r)[0]}),
    Layout("HH-RLHF chosen", "prompt-completion", ("chosen", "rejected"), hh_demonstration),
    Layout("TRL prompt-only", "prompt-only", ("prompt",), None),
    Layout("multiple choice", "multiple-choice", ("question", "choices", "answer"), None),
    Layout("ToxiGen annotated", "statements", ("text", "target_group", "toxicity_human"), None),
)


def candidates(data_format):
    """The layouts that serve the format, in the order tried: all of them when it is absent."""
    if data_format is None:
        return LAYOUTS
    return tuple(layout for served in SERVED_BY.get(data_format, (data_format,)) for layout in LAYOUTS if layout.format == served)


def normalised(dataset, data_format, path):
    """The dataset in the first layout of its format whose columns it has, converted to the
    format's columns; unchanged when no format is given and no layout fits."""
    columns = set(dataset.column_names)
    layouts = candidates(data_format)
    layout = next((layout for layout in layouts if set(layout.columns) <= columns), None)
    if layout is None:
        if data_format is None:
            return dataset
        if len(layouts) == 1:
            missing = [column for column in layouts[0].columns if column not in columns]
            raise RunnerError(f"{path}: {data_format} data lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                              f"({layouts[0].name}: {', '.join(layouts[0].columns)}); it has {sorted(columns)}; {mapping_hint(data_format)}")
        known = "; ".join(f"{layout.name} ({', '.join(layout.columns)})" for layout in layouts)
        raise RunnerError(f"{path}: {data_format} data needs the columns of a known layout: {known}; it has {sorted(columns)}; "
                          f"{mapping_hint(data_format)}")
    if layout.convert is None:
        return dataset
    try:
        return dataset.map(layout.convert, remove_columns=sorted(columns - {"id"}))
    except RunnerError as error:
        raise RunnerError(f"{path}: {error}") from None


def prompt_of(record):
    """A record's prompt text: its prompt (a string, or the last user turn of a conversational
    prompt), its first user message, or its question; None when it has none."""
    prompt = record.get("prompt")
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list):
        return user_turn(prompt, -1)
    if "messages" in record:
        return user_turn(record["messages"], 0)
    return record.get("question")


def user_turn(messages, index):
    """The user turn at `index` of the messages, or "" when there is none."""
    turns = [message["content"] for message in messages if message.get("role") == "user"]
    return turns[index] if turns else ""


def prompts_of(dataset):
    """The prompt text of each record, whatever the format (load_records has put every known
    layout in its format's columns)."""
    prompts = []
    for record in dataset:
        prompt = prompt_of(record)
        if prompt is None:
            raise RunnerError(f"a record without a prompt: {sorted(record)}")
        prompts.append(prompt)
    return prompts


def statements(dataset, path):
    """[{"id", "text", "group", "toxicity"}] of statements data, each row checked: a text, a target
    group and a toxicity rating on ToxiGen's scale; a bad row is a RunnerError naming the file, the
    row (from 1, in the order loaded) and the column. The id is the row's `id` when it has one, else
    its index from 0."""
    low, high = TOXICITY_SCALE
    found = []
    for index, record in enumerate(dataset):
        where = f"{path}: row {index + 1}"
        text, group, toxicity = record["text"], record["target_group"], record["toxicity_human"]
        if not isinstance(text, str):
            raise RunnerError(f"{where}: text must be a string, not {text!r}")
        if not isinstance(group, str) or not group.strip():
            raise RunnerError(f"{where}: target_group must name a group, not {group!r}")
        if isinstance(toxicity, bool) or not isinstance(toxicity, (int, float)) or not low <= toxicity <= high:
            raise RunnerError(f"{where}: toxicity_human must be a rating from {low} to {high}, not {toxicity!r}")
        found.append({"id": str(record.get("id", index)), "text": text, "group": group, "toxicity": float(toxicity)})
    return found
