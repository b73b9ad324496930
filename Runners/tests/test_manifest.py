"""The runners against the runner manifest ablate generates: every kind's runner builds its parser,
takes the manifest's defaults, and parses every flag ablate passes it as the manifest describes."""

import argparse
import importlib
import json
import subprocess
import sys

import pytest

from ablate_runners import contract, manifest
from ablate_runners.common import RunnerError
from ablate_runners.data import checked_format
from conftest import RUNNERS, run_runner

KINDS = manifest.kinds()


def runner(kind_name):
    return importlib.import_module(f"ablate_runners.{manifest.kind(kind_name)['module']}")


def required_arguments(kind_name):
    """The fewest arguments the kind's runner takes: its required inputs, --output, and lm-eval's tasks."""
    arguments = [argument for declared in manifest.kind(kind_name)["inputs"] if declared["required"] for argument in (declared["flag"], "x")]
    return arguments + (["--tasks", "x"] if kind_name == "lm-eval" else []) + ["--output", "out"]


def sample_values(setting):
    """A value of the setting's type as ablate passes it: two of them for a list."""
    if setting.get("choices"):
        return setting["choices"][:2] if setting["list"] else setting["choices"][:1]
    one = {"int": "3", "float": "0.5", "bool": "true", "str": "abc"}[setting["type"]]
    return [one, "def"] if setting["list"] else [one]


def full_arguments(kind_name):
    """Every input (a dataset with all its companion flags) and every setting of the kind, with sample values."""
    arguments = []
    for declared in manifest.kind(kind_name)["inputs"]:
        arguments += [declared["flag"], "x"]
        if declared["dataset"]:
            data_format = (manifest.input_formats(kind_name, declared["role"]) or manifest.formats())[0]
            arguments += [f"{declared['flag']}-format", data_format, f"{declared['flag']}-split", "train",
                          f"{declared['flag']}-subset", "abc", f"{declared['flag']}-sample", "3",
                          f"{declared['flag']}-columns", "prompt=question", "completion=response", f"{declared['flag']}-template", "{question}"]
    for setting in manifest.kind(kind_name)["settings"]:
        arguments += [setting["flag"], *sample_values(setting)]
    return arguments + ["--output", "out"]


def check(tmp_path, cases):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    result = run_runner("contract", path)
    return result, [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("kind_name", KINDS)
def test_every_kind_has_a_runner_with_a_parser(kind_name):
    assert isinstance(runner(kind_name).parser(), argparse.ArgumentParser)


@pytest.mark.parametrize("kind_name", KINDS)
def test_a_runner_takes_the_manifest_defaults(kind_name):
    parsed = runner(kind_name).parser().parse_args(required_arguments(kind_name))
    for setting in manifest.kind(kind_name)["settings"]:
        if "default" in setting:
            expected = manifest.convert(setting, setting["default"])
            actual = getattr(parsed, setting["dest"])
            assert (actual, type(actual)) == (expected, type(expected)), setting["name"]


def test_the_contract_accepts_every_flag_of_every_kind(tmp_path):
    result, lines = check(tmp_path, [{"kind": kind_name, "arguments": full_arguments(kind_name)} for kind_name in KINDS])
    assert result.returncode == 0, result.stdout + result.stderr
    assert [line["kind"] for line in lines] == KINDS
    assert all(line["ok"] and line["problems"] == [] for line in lines)


def test_the_contract_refuses_an_unknown_flag(tmp_path):
    result, lines = check(tmp_path, [{"kind": "merge", "arguments": required_arguments("merge") + ["--no-such-flag", "1"]}])
    assert result.returncode == 1
    assert lines[0]["ok"] is False
    assert "unrecognized arguments: --no-such-flag" in lines[0]["problems"][0]


def test_a_flag_parsed_to_another_value_is_a_problem():
    setting = {"flag": "--n", "dest": "n", "type": "int", "list": False}
    assert contract.mismatch(setting, argparse.Namespace(n=3), ["--n", "3"]) is None
    assert contract.mismatch(setting, argparse.Namespace(n=4), ["--n", "3"]) == "--n: the runner parsed 4 as 'n', not 3"
    assert contract.mismatch(setting, argparse.Namespace(), ["--n", "3"]) == "--n: the runner parsed no 'n'"


def test_the_manifest_names_kinds_inputs_and_formats():
    assert manifest.input_formats("sft", "data") == ["messages", "prompt-completion"]
    assert manifest.input_formats("judge", "baseline") is None
    with pytest.raises(LookupError, match="unknown stage kind 'nope'"):
        manifest.kind("nope")
    assert checked_format(argparse.Namespace(data_format="preference"), "data") == "preference"
    with pytest.raises(RunnerError, match="--data-format: unknown format 'tables'"):
        checked_format(argparse.Namespace(data_format="tables"), "data")


def test_importing_the_runners_leaves_the_heavy_libraries_unloaded():
    modules = ", ".join(f"ablate_runners.{manifest.kind(kind_name)['module']}" for kind_name in KINDS)
    script = f"import sys, ablate_runners.contract, {modules}; print([m for m in ('torch', 'transformers', 'trl', 'datasets') if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", script], cwd=RUNNERS, capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
