"""Shared fixtures: the tiny model and reward model (built once per session), a way to run a
runner as the pipeline does, in its own process, offline, and a fake judge endpoint."""

import json
import os
import subprocess
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from fake_judge import FakeJudge

RUNNERS = Path(__file__).resolve().parent.parent
REPOSITORY = RUNNERS.parent
QUICKSTART_DATA = REPOSITORY / "Experiments" / "data" / "quickstart"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# sitecustomize.py of test hooks (a trainer pausing or failing at a step): on PYTHONPATH, before RUNNERS.
HOOKS = Path(__file__).resolve().parent / "hooks"
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def run_runner(module, *arguments, python=None, env=None, home=None):
    """Runs `python -m ablate_runners.MODULE ARGUMENTS…` and returns the completed process."""
    environment = {**os.environ, **OFFLINE, "PYTHONPATH": str(RUNNERS), **(env or {})}
    if home is not None:
        environment["HF_HOME"] = str(home)
    return subprocess.run(
        [python or sys.executable, "-m", f"ablate_runners.{module}", *map(str, arguments)],
        cwd=RUNNERS, capture_output=True, text=True, env=environment,
    )


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def read_lines(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_lines(path, records):
    """Writes the records to `path` as JSON lines (making its folder) and returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def one_line_error(result, fragment):
    """Exit status 1 and one `error:` line, the last (libraries may have logged before it)."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and errors[0] == lines[-1] and fragment in errors[0], result.stderr


@pytest.fixture(scope="session")
def hf_home(tmp_path_factory):
    return tmp_path_factory.mktemp("hf-home")


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, hf_home):
    """{"model": PATH, "reward_model": PATH}: the deterministic tiny Llama and reward model."""
    pytest.importorskip("transformers")
    directory = tmp_path_factory.mktemp("tiny")
    result = run_runner("tiny_model", "--output", directory, home=hf_home)
    assert result.returncode == 0, result.stderr
    return {"model": directory / "model", "reward_model": directory / "reward_model"}


@pytest.fixture
def fake_endpoint():
    """The base URL of a FakeJudge (fake_judge.py) served for one test, its request log emptied."""
    FakeJudge.requests, FakeJudge.delay = [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeJudge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
