"""Resuming inside a training stage: a run killed (SIGKILL) after its second checkpoint continues
from it, executes only the steps it had not done, writes each step of the metric series once, and
ends with the loss of an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ablate_runners.training import COMPLETE
from conftest import HOOKS, OFFLINE, QUICKSTART_DATA, RUNNERS, read_json, run_runner

STEPS, EVERY = 30, 10
COMMON = ["--max-steps", STEPS, "--batch-size", 2, "--lora-r", 8, "--lora-alpha", 16, "--lora-target-modules", "q_proj", "v_proj",
          "--learning-rate", "1e-3", "--max-length", 64, "--seed", 0]


def inputs(module, tiny_models, sft_adapter):
    if module == "sft":
        return ["--model", tiny_models["model"], "--data", QUICKSTART_DATA / "instructions.jsonl", "--data-format", "prompt-completion"]
    if module == "reward":
        return ["--model", tiny_models["reward_model"], "--data", QUICKSTART_DATA / "preferences-hh.jsonl", "--data-format", "preference"]
    return ["--model", sft_adapter, "--data", QUICKSTART_DATA / "preferences-shp.jsonl", "--data-format", "preference"]


@pytest.fixture(scope="module")
def sft_adapter(tiny_models, hf_home, tmp_path_factory):
    output = tmp_path_factory.mktemp("sft-base")
    result = run_runner("sft", *inputs("sft", tiny_models, None), "--max-steps", 3, *COMMON[2:], "--output", output, home=hf_home)
    assert result.returncode == 0, result.stderr
    return output / "model"


def losses(output):
    with open(output / "metrics.jsonl", encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle if line.strip()]
    return [(line["step"], line["loss"]) for line in lines if "loss" in line]


@pytest.mark.parametrize("module", ["sft", "reward", "dpo"])
def test_a_killed_training_continues_from_its_last_complete_checkpoint(module, tiny_models, sft_adapter, hf_home, tmp_path):
    arguments = [*inputs(module, tiny_models, sft_adapter), *COMMON]
    uninterrupted = run_runner(module, *arguments, "--output", tmp_path / "whole", home=hf_home)
    assert uninterrupted.returncode == 0, uninterrupted.stderr

    checkpoints = tmp_path / "checkpoints"
    policy = {"ABLATE_CHECKPOINT_DIR": str(checkpoints), "ABLATE_CHECKPOINT_EVERY": str(EVERY), "ABLATE_CHECKPOINT_KEEP": "2"}
    environment = {**os.environ, **OFFLINE, "PYTHONPATH": str(RUNNERS), "HF_HOME": str(hf_home), **policy}
    # The trainer stops itself before the step after its second checkpoint; it is killed there.
    pause = {"ABLATE_TEST_PAUSE_AT_STEP": str(2 * EVERY + 1)}
    environment = {**os.environ, **OFFLINE, "PYTHONPATH": f"{HOOKS}:{RUNNERS}", "HF_HOME": str(hf_home), **policy, **pause}
    first = subprocess.Popen([sys.executable, "-m", f"ablate_runners.{module}", *map(str, arguments), "--output", str(tmp_path / "first")],
                             cwd=RUNNERS, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status = os.waitpid(first.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), f"the trainer paused before step {2 * EVERY + 1} (wait status {status})"
    assert (checkpoints / f"checkpoint-{2 * EVERY}" / COMPLETE).exists(), "the second checkpoint was completed"
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert first.returncode == -signal.SIGKILL
    assert max(step for step, _ in losses(tmp_path / "first")) == 2 * EVERY

    second = run_runner(module, *arguments, "--output", tmp_path / "second", home=hf_home, env=policy)
    assert second.returncode == 0, second.stderr
    assert f"continuing from step {2 * EVERY}" in second.stdout, second.stdout
    series = losses(tmp_path / "second")
    assert [step for step, _ in series] == list(range(1, STEPS + 1)), "every step once, the checkpoint's history first"
    whole = dict(losses(tmp_path / "whole"))
    assert all(abs(loss - whole[step]) <= 1e-4 * max(1.0, abs(whole[step])) for step, loss in series)
    assert read_json(tmp_path / "second" / "metrics.json")["train/loss"] == pytest.approx(read_json(tmp_path / "whole" / "metrics.json")["train/loss"], rel=1e-4)


def test_a_warned_trainer_saves_a_checkpoint_and_stops_with_the_checkpointed_status(tiny_models, hf_home, tmp_path):
    # SIGUSR2 is what Slurm's --signal=B:USR2@120 sends before a job's time limit; SIGTERM works alike.
    arguments = [*inputs("sft", tiny_models, None), "--max-steps", 400, *COMMON[2:]]
    checkpoints = tmp_path / "checkpoints"
    policy = {"ABLATE_CHECKPOINT_DIR": str(checkpoints), "ABLATE_CHECKPOINT_EVERY": "1000", "ABLATE_CHECKPOINT_KEEP": "2"}
    environment = {**os.environ, **OFFLINE, "PYTHONPATH": str(RUNNERS), "HF_HOME": str(hf_home), **policy}
    first = subprocess.Popen([sys.executable, "-m", "ablate_runners.sft", *map(str, arguments), "--output", str(tmp_path / "first")],
                             cwd=RUNNERS, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    series = tmp_path / "first" / "metrics.jsonl"
    deadline = time.monotonic() + 300
    while first.poll() is None and time.monotonic() < deadline and not (series.exists() and '"step": 5,' in series.read_text()):
        time.sleep(0.05)
    first.send_signal(signal.SIGUSR2)
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 75, stderr
    saved = [name for name in os.listdir(checkpoints) if (checkpoints / name / ".ablate-complete").exists()]
    assert len(saved) == 1 and int(saved[0].split("-")[1]) >= 5
    assert f"SIGUSR2: saved the checkpoint at step {saved[0].split('-')[1]}; the next attempt continues from it" in stderr
    assert not (tmp_path / "first" / "model").exists(), "no result until the training ends"
