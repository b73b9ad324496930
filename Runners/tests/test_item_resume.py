"""Resuming inside the sampling and evaluation stages: a generate, bon, judge or diversity run
killed (SIGKILL) after some prompts continues at the first prompt it had not finished, does only
the rest, and writes what an uninterrupted run writes, byte for byte; lm-eval answers again from
the harness's request cache. The item log itself ignores a torn last line, discards a log of other
prompts, and keeps nothing without a directory."""

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import pytest

from ablate_runners.progress import ItemLog, checkpoint_directory
from conftest import OFFLINE, QUICKSTART_DATA, RUNNERS, read_json, read_lines, run_runner
from fake_judge import FakeJudge

PROMPTS = 24
SAMPLING = ["--prompts-format", "prompt-only", "--max-new-tokens", 16, "--seed", 3]
TASK_DIR = QUICKSTART_DATA / "lm-eval-tasks"


@pytest.fixture(scope="module")
def prompts_file(tmp_path_factory):
    """PROMPTS numbered summarisation prompts, from the quickstart's in- and out-of-distribution ones."""
    records = read_lines(QUICKSTART_DATA / "summaries-id.jsonl") + read_lines(QUICKSTART_DATA / "summaries-ood.jsonl")
    path = tmp_path_factory.mktemp("prompts") / "prompts.jsonl"
    lines = (json.dumps({"prompt": f"{records[index % len(records)]['prompt']} ({index})"}) + "\n" for index in range(PROMPTS))
    path.write_text("".join(lines))
    return path


def sampling_arguments(module, tiny_models, prompts, batch_size=1):
    common = ["--model", tiny_models["model"], "--prompts", prompts, *SAMPLING, "--batch-size", batch_size]
    if module == "bon":
        return [*common, "--reward-model", tiny_models["reward_model"], "--n", 4]
    return [*common, "--samples-per-prompt", 3]


def write_samples(directory, prompts):
    """samples.jsonl of (prompt_id, prompt, samples) records."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "samples.jsonl").write_text(
        "".join(json.dumps({"prompt_id": key, "prompt": prompt, "samples": samples}) + "\n" for key, prompt, samples in prompts))
    return directory


def files(directory):
    """{path relative to the directory: content} of every file under it."""
    return {path.relative_to(directory).as_posix(): path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()}


def uninterrupted(module, arguments, hf_home, env=None):
    result = run_runner(module, *arguments, home=hf_home, env=env)
    assert result.returncode == 0, result.stderr
    return result


def killed_half_way(module, arguments, checkpoints, hf_home, env=None):
    """Runs the runner with ABLATE_CHECKPOINT_DIR, SIGKILLs it as soon as it has finished two
    prompts (before the last), and returns (done, total): the prompts its log kept, of all."""
    checkpoints.mkdir(exist_ok=True)
    environment = {**os.environ, **OFFLINE, "PYTHONPATH": str(RUNNERS), "HF_HOME": str(hf_home), **(env or {}),
                   "ABLATE_CHECKPOINT_DIR": str(checkpoints)}
    process = subprocess.Popen([sys.executable, "-m", f"ablate_runners.{module}", *map(str, arguments)], cwd=RUNNERS, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    progress, seen = checkpoints / "progress.json", None
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline and not (seen and seen["done"] >= 2):
        seen = read_json(progress) if progress.exists() else None
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert seen is not None and 2 <= seen["done"] < seen["total"], f"killed after two prompts, before the last: {seen}"
    assert process.returncode == -signal.SIGKILL
    done = logged_prompts(checkpoints)
    assert done < seen["total"], f"the log kept {done} prompts, not every one"
    return done, seen["total"]


def logged_prompts(checkpoints):
    """The prompts of the complete lines of the item log: what the next attempt skips. progress.json
    may lag them by the unit whose line was written as the kill came."""
    content = (checkpoints / "items.jsonl").read_text(encoding="utf-8")
    return sum(len(json.loads(line)["keys"]) for line in content[: content.rfind("\n") + 1].splitlines())


def continued(module, arguments, checkpoints, hf_home, done, total, env=None):
    """Runs the next attempt and checks that it continued after the `done` prompts and finished
    every prompt once."""
    result = run_runner(module, *arguments, home=hf_home, env={**(env or {}), "ABLATE_CHECKPOINT_DIR": str(checkpoints)})
    assert result.returncode == 0, result.stderr
    assert f"continuing at prompt {done + 1} of {total}: {done} done by an earlier attempt" in result.stderr
    assert read_json(checkpoints / "progress.json") == {"done": total, "total": total, "unit": "prompts"}
    keys = [key for line in read_lines(checkpoints / "items.jsonl") for key in line["keys"]]
    assert len(keys) == len(set(keys)) == total, "every prompt logged once"
    return result


# --- the runners ---------------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["generate", "bon"])
def test_a_killed_sampling_run_continues_at_its_first_unfinished_prompt(module, tiny_models, hf_home, prompts_file, tmp_path):
    arguments, checkpoints = sampling_arguments(module, tiny_models, prompts_file), tmp_path / "checkpoints"
    uninterrupted(module, [*arguments, "--output", tmp_path / "whole"], hf_home)
    done, total = killed_half_way(module, [*arguments, "--output", tmp_path / "first"], checkpoints, hf_home)
    continued(module, [*arguments, "--output", tmp_path / "second"], checkpoints, hf_home, done, total)
    assert files(tmp_path / "second") == files(tmp_path / "whole")


def test_prompts_logged_as_done_are_not_sampled_again(tiny_models, hf_home, prompts_file, tmp_path):
    # Six prompts in batches of two; the log is cut to the first two batches, the first of them marked.
    arguments = [*sampling_arguments("generate", tiny_models, prompts_file, batch_size=2), "--max-prompts", 6]
    checkpoints = tmp_path / "checkpoints"
    uninterrupted("generate", [*arguments, "--output", tmp_path / "whole"], hf_home, env={"ABLATE_CHECKPOINT_DIR": str(checkpoints)})
    first, second, _ = (checkpoints / "items.jsonl").read_text().splitlines(keepends=True)
    marked = json.loads(first)
    marked["result"] = [[["logged", 1]] * 3] * 2
    (checkpoints / "items.jsonl").write_text(json.dumps(marked) + "\n" + second)

    result = continued("generate", [*arguments, "--output", tmp_path / "again"], checkpoints, hf_home, done=4, total=6)
    samples = [record["samples"] for record in read_lines(tmp_path / "again" / "samples" / "samples.jsonl")]
    whole = [record["samples"] for record in read_lines(tmp_path / "whole" / "samples" / "samples.jsonl")]
    assert samples == [["logged"] * 3] * 2 + whole[2:], result.stderr


def test_a_log_of_other_prompts_is_discarded_with_a_warning(tiny_models, hf_home, prompts_file, tmp_path):
    arguments = [*sampling_arguments("generate", tiny_models, prompts_file), "--max-prompts", 3]
    checkpoints = tmp_path / "checkpoints"
    uninterrupted("generate", [*arguments, "--output", tmp_path / "before"], hf_home, env={"ABLATE_CHECKPOINT_DIR": str(checkpoints)})
    other = [*sampling_arguments("generate", tiny_models, QUICKSTART_DATA / "summaries-ood.jsonl"), "--max-prompts", 3]
    uninterrupted("generate", [*other, "--output", tmp_path / "whole"], hf_home)

    result = uninterrupted("generate", [*other, "--output", tmp_path / "other"], hf_home, env={"ABLATE_CHECKPOINT_DIR": str(checkpoints)})
    assert f"warning: {checkpoints / 'items.jsonl'}:1 is not the result of this task's prompt 1" in result.stderr
    assert "starting over" in result.stderr and "continuing" not in result.stderr
    assert files(tmp_path / "other") == files(tmp_path / "whole")
    assert len(read_lines(checkpoints / "items.jsonl")) == 3


def test_a_killed_endpoint_judge_asks_only_for_the_prompts_it_had_not_judged(fake_endpoint, hf_home, tmp_path):
    samples = write_samples(tmp_path / "samples", [(f"p{i}", f"post {i}", [f"GOOD {i}", f"plain {i}"]) for i in range(PROMPTS)])
    baseline = tmp_path / "baseline.jsonl"
    baseline.write_text("".join(json.dumps({"prompt": f"post {i}", "completion": f"REF {i}"}) + "\n" for i in range(PROMPTS)))
    arguments = ["--samples", samples, "--baseline", baseline, "--judge", "endpoint", "--endpoint-model", "gpt-4", "--seed", 5]
    checkpoints = tmp_path / "checkpoints"
    FakeJudge.delay = 0.05

    def endpoint(attempt):
        """Each attempt asks at its own base URL, so that its requests can be told apart."""
        return {"ABLATE_JUDGE_BASE_URL": f"{fake_endpoint}/{attempt}/v1", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}

    def asked(attempt):
        return [request["body"] for request in FakeJudge.requests if request["path"].startswith(f"/{attempt}/")]

    uninterrupted("judge", [*arguments, "--output", tmp_path / "whole"], hf_home, env=endpoint("whole"))
    done, total = killed_half_way("judge", [*arguments, "--output", tmp_path / "first"], checkpoints, hf_home, env=endpoint("first"))
    continued("judge", [*arguments, "--output", tmp_path / "second"], checkpoints, hf_home, done, total, env=endpoint("second"))
    # The second attempt asks exactly what the uninterrupted run asked for the prompts left, sides included.
    assert asked("second") == asked("whole")[2 * done :]
    assert files(tmp_path / "second") == files(tmp_path / "whole")


def test_a_killed_diversity_run_keeps_the_per_input_values_it_had_computed(hf_home, tmp_path):
    pytest.importorskip("sentence_transformers")
    words = ["moon", "rain", "garden", "cooking", "river", "winter", "music", "trains"]
    samples = write_samples(tmp_path / "samples", [
        (f"p{i}", f"post {i}", [f"The writer enjoyed {words[(i + k) % 8]} and {words[(i * k) % 8]} on day {k}." for k in range(8)])
        for i in range(60)])
    arguments = ["--samples", samples, "--metrics", "distinct-n", "ead", "sentence-bert"]
    checkpoints = tmp_path / "checkpoints"
    uninterrupted("diversity", [*arguments, "--output", tmp_path / "whole"], hf_home)
    done, total = killed_half_way("diversity", [*arguments, "--output", tmp_path / "first"], checkpoints, hf_home)
    continued("diversity", [*arguments, "--output", tmp_path / "second"], checkpoints, hf_home, done, total)
    assert files(tmp_path / "second") == files(tmp_path / "whole")


def test_lm_eval_keeps_its_requests_in_the_harness_cache_and_answers_again_from_it(tiny_models, hf_home, tmp_path):
    arguments = ["--model", tiny_models["model"], "--tasks", "quickstart_mc", "--task-dir", TASK_DIR, "--batch-size", 4, "--seed", 1]
    checkpoints = tmp_path / "checkpoints"
    policy = {"ABLATE_CHECKPOINT_DIR": str(checkpoints)}
    first = uninterrupted("lm_eval", [*arguments, "--output", tmp_path / "first"], hf_home, env=policy)
    logs = read_lines(tmp_path / "first" / "results" / "samples_quickstart_mc.jsonl")
    with closing(sqlite3.connect(checkpoints / "lm-eval-requests_rank0.db")) as cache:
        assert cache.execute("SELECT COUNT(*) FROM unnamed").fetchone()[0] == sum(len(log["arguments"]) for log in logs)
    assert "Running loglikelihood requests" in first.stderr
    assert not (checkpoints / "progress.json").exists()

    second = uninterrupted("lm_eval", [*arguments, "--output", tmp_path / "second"], hf_home, env=policy)
    assert "Running loglikelihood requests" not in second.stderr, "every request answered from the cache"
    results = [read_json(next((tmp_path / run / "results").glob("results_*.json")))["results"] for run in ["first", "second"]]
    assert results[0] == results[1]
    per_sample = [(tmp_path / run / "results" / "samples_quickstart_mc.jsonl").read_bytes() for run in ["first", "second"]]
    assert per_sample[0] == per_sample[1]


# --- the item log ---------------------------------------------------------------------------------

UNITS = [["a"], ["b", "c"], ["d"]]


def logged(directory, units, work):
    """Runs every unit through a fresh log in `directory`; what it said on stderr."""
    stream = io.StringIO()
    ItemLog(units, directory, stream).finish(work)
    return stream.getvalue()


def test_a_torn_last_line_is_ignored_and_its_unit_done_again(tmp_path):
    logged(tmp_path, UNITS, lambda index: f"first {index}")
    lines = (tmp_path / "items.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "items.jsonl").write_text(lines[0] + lines[1] + lines[2][:12])

    stream = io.StringIO()
    log = ItemLog(UNITS, tmp_path, stream)
    assert (log.results, log.done, log.total) == (["first 0", "first 1"], 3, 4)
    assert stream.getvalue() == "continuing at prompt 4 of 4: 3 done by an earlier attempt\n"
    assert read_json(tmp_path / "progress.json") == {"done": 3, "total": 4, "unit": "prompts"}
    assert log.finish(lambda index: f"again {index}") == ["first 0", "first 1", "again 2"]
    assert (tmp_path / "items.jsonl").read_text() == lines[0] + lines[1] + json.dumps({"keys": ["d"], "result": "again 2"}) + "\n"
    assert read_json(tmp_path / "progress.json") == {"done": 4, "total": 4, "unit": "prompts"}


def test_a_log_that_parts_from_the_prompts_anywhere_is_discarded_whole(tmp_path):
    logged(tmp_path, [["a"], ["b", "x"]], str)
    said = logged(tmp_path, UNITS, lambda index: f"new {index}")
    assert said == (f"warning: {tmp_path / 'items.jsonl'}:2 is not the result of this task's prompt 2: "
                    "the log is another task's; starting over\n")
    assert [json.loads(line)["result"] for line in (tmp_path / "items.jsonl").read_text().splitlines()] == ["new 0", "new 1", "new 2"]


def test_a_finished_log_is_read_back_without_doing_anything_again(tmp_path):
    logged(tmp_path, UNITS, lambda index: {"unit": index, "score": 0.1 + index})
    stream = io.StringIO()
    results = ItemLog(UNITS, tmp_path, stream).finish(lambda index: pytest.fail(f"unit {index} done again"))
    assert results == [{"unit": index, "score": 0.1 + index} for index in range(3)]
    assert stream.getvalue() == "all 4 prompts done by an earlier attempt\n"


def test_without_a_directory_every_unit_is_done_and_nothing_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ABLATE_CHECKPOINT_DIR", raising=False)
    assert checkpoint_directory() is None
    stream = io.StringIO()
    assert ItemLog(UNITS, checkpoint_directory(), stream).finish(lambda index: [index]) == [[0], [1], [2]]
    assert stream.getvalue() == "" and list(tmp_path.iterdir()) == []
