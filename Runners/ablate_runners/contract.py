"""Checks that the runners parse the flags ablate passes them as the runner manifest describes,
so that a runner out of step with ablate's table of stage kinds fails a test rather than a run.

    python -m ablate_runners.contract CASES.json

CASES.json is a list of {"kind": KIND, "arguments": [...]}, the arguments ablate passes after
`-m ablate_runners.MODULE`. The parser() of the kind's runner parses each case, and nothing runs.
A problem is argparse's error; a manifest setting whose flag is among the arguments but is not
parsed (at its dest) to the value given, converted by the setting's type (for a list, every value
up to the next `--` flag); or an input flag (with a dataset's -format, -split, -subset, -sample,
-columns and -template) not parsed to its argument. Prints one JSON line per case, {"kind", "ok", "problems"},
and exits 1 when any case failed. The runners import their heavy libraries only when they run, so
the check takes well under a second.
"""

import argparse
import contextlib
import importlib
import io
import json
import sys

from . import manifest
from .common import fail

MISSING = object()
# A dataset input's companion flags: (suffix, type, list).
DATASET_FLAGS = (("format", "str", False), ("split", "str", False), ("subset", "str", False), ("sample", "int", False),
                 ("columns", "str", True), ("template", "str", False))


def values_after(arguments, flag):
    """The values that follow the last `flag` (argparse keeps the last), up to the next `--` flag."""
    start = len(arguments) - arguments[::-1].index(flag)
    values = []
    for value in arguments[start:]:
        if value.startswith("--"):
            break
        values.append(value)
    return values


def flags(kind):
    """Every flag of the kind, shaped as a manifest setting (flag, dest, type, list): its inputs,
    a dataset's companion flags (DATASET_FLAGS) with them, and its settings."""
    for declared in kind["inputs"]:
        yield {"flag": declared["flag"], "dest": declared["role"], "type": "str", "list": False}
        if declared["dataset"]:
            for suffix, type_name, is_list in DATASET_FLAGS:
                yield {"flag": f"{declared['flag']}-{suffix}", "dest": f"{declared['role']}_{suffix}", "type": type_name, "list": is_list}
    yield from kind["settings"]


def parsed(kind, arguments):
    """(namespace, None) from the runner's parser, or (None, argparse's message) when it refuses."""
    runner = importlib.import_module(f"{__package__}.{kind['module']}")
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors):
            return runner.parser().parse_args(arguments), None
    except SystemExit as stop:
        lines = errors.getvalue().strip().splitlines()
        return None, lines[-1] if lines else f"the parser exited with status {stop.code}"


def mismatch(flag, namespace, arguments):
    """Why the runner did not parse `flag` to the value given, or None when it did."""
    values = values_after(arguments, flag["flag"])
    try:
        expected = manifest.convert(flag, values if flag["list"] else values[0])
    except (IndexError, ValueError):
        return f"{flag['flag']}: {values} is not a value of type {flag['type']}"
    actual = getattr(namespace, flag["dest"], MISSING)
    if actual is MISSING:
        return f"{flag['flag']}: the runner parsed no '{flag['dest']}'"
    if actual != expected:
        return f"{flag['flag']}: the runner parsed {actual!r} as '{flag['dest']}', not {expected!r}"
    return None


def well_formed(case):
    return (isinstance(case, dict) and isinstance(case.get("kind"), str) and isinstance(case.get("arguments"), list)
            and all(isinstance(argument, str) for argument in case["arguments"]))


def problems(case):
    """What is wrong with one case: nothing when the runner parses every flag as the manifest says."""
    if not well_formed(case):
        return ['a case is {"kind": KIND, "arguments": [strings]}']
    try:
        kind = manifest.kind(case.get("kind"))
    except LookupError as error:
        return [str(error)]
    arguments = case["arguments"]
    namespace, error = parsed(kind, arguments)
    if error:
        return [error]
    found = (mismatch(flag, namespace, arguments) for flag in flags(kind) if flag["flag"] in arguments)
    return [problem for problem in found if problem]


def read_cases(path):
    try:
        with open(path, encoding="utf-8") as handle:
            cases = json.load(handle)
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror}")
    except json.JSONDecodeError as error:
        fail(f"{path}: not JSON ({error.msg})")
    if not isinstance(cases, list):
        fail(f"{path}: not a list of cases")
    return cases


def main(arguments=None):
    command = argparse.ArgumentParser(prog="python -m ablate_runners.contract", description="Checks that the runners parse what ablate passes them.")
    command.add_argument("cases", help='a JSON list of {"kind": KIND, "arguments": [...]}')
    options = command.parse_args(arguments)
    failed = False
    for case in read_cases(options.cases):
        found = problems(case)
        failed = failed or bool(found)
        print(json.dumps({"kind": case.get("kind") if isinstance(case, dict) else None, "ok": not found, "problems": found}), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
