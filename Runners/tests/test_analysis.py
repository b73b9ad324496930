"""The analysis runners: judge (reward model and a fake OpenAI-compatible endpoint), linguistic
and lm_eval."""

import argparse
import json
import math
import re

import pytest

from ablate_runners import judge
from ablate_runners.common import RunnerError
from ablate_runners.linguistic import FEATURES, UNIVERSAL_TAGS, analyse, sentences, summarise
from ablate_runners.linguistic import main as linguistic_main
from conftest import QUICKSTART_DATA, one_line_error, read_json, read_lines, run_runner
from fake_judge import FakeJudge

TASK_DIR = QUICKSTART_DATA / "lm-eval-tasks"


def write_samples(directory, prompts):
    """prompts: (prompt_id, prompt text, samples)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "samples.jsonl", "w") as handle:
        for prompt_id, prompt, samples in prompts:
            handle.write(json.dumps({"prompt_id": prompt_id, "prompt": prompt, "samples": samples}) + "\n")
    return directory


# --- judge -----------------------------------------------------------------------------------

def test_parse_ranking_accepts_only_an_exact_ranking_of_both_models():
    assert judge.parse_ranking("[{'model': 'model_1', 'rank': 2}, {'model': 'model_2', 'rank': 1}]") == {"model_1": 2, "model_2": 1}
    fenced = '```python\n[{"model": "model_2", "rank": 1}, {"model": "model_1", "rank": 2}]\n```'
    assert judge.parse_ranking(fenced) == {"model_2": 1, "model_1": 2}
    for answer in ["model_1 is better", "[{'model': 'model_1', 'rank': 1}, {'model': 'model_1', 'rank': 2}]",
                   "[{'model': 'model_1', 'rank': 1}, {'model': 'model_2', 'rank': 1}]", "[{'model': 'model_1', 'rank': 1}]",
                   "[{'model': 'model_1', 'rank': True}, {'model': 'model_2', 'rank': 2}]",
                   "[{'model': ['model_1'], 'rank': 1}, {'model': 'model_2', 'rank': 2}]", "[__import__('os')]", None]:
        assert judge.parse_ranking(answer) is None, answer


def test_reward_model_judge_against_dataset_references(tiny_models, tmp_path, hf_home):
    records = read_lines(QUICKSTART_DATA / "summaries-id.jsonl")[:3]
    samples = write_samples(tmp_path / "samples", [
        ("p0", records[0]["prompt"], ["The writer liked it.", "moon moon moon", "A calm and bright night."]),
        ("p1", records[1]["prompt"], ["Rain.", "The writer enjoyed rainy days and will return."]),
        ("p2", records[2]["prompt"], [records[2]["completion"]]),
    ])
    result = run_runner("judge", "--samples", samples, "--baseline", QUICKSTART_DATA / "summaries-id.jsonl",
                        "--judge-model", tiny_models["reward_model"], "--output", tmp_path / "out", home=hf_home)
    assert result.returncode == 0, result.stderr
    metrics = read_json(tmp_path / "out" / "metrics.json")
    assert metrics["judge/judged"] == 6 and metrics["judge/unparseable"] == 0
    assert 0 <= metrics["judge/win_rate"] <= 1
    items = read_lines(tmp_path / "out" / "items.jsonl")
    assert [item["item"] for item in items] == ["p0", "p1", "p2"]
    assert all(0 <= item["judge/win_rate"] <= 1 for item in items)
    assert items[2]["judge/win_rate"] == 0.5  # the reference itself: a tie
    assert metrics["judge/win_rate"] == pytest.approx((3 * items[0]["judge/win_rate"] + 2 * items[1]["judge/win_rate"] + 0.5) / 6)
    # The reward model's scores: the mean over every sample, and over the references.
    assert metrics["judge/reward"] == pytest.approx((3 * items[0]["judge/reward"] + 2 * items[1]["judge/reward"] + items[2]["judge/reward"]) / 6)
    assert math.isfinite(metrics["judge/reference_reward"])


def test_a_samples_baseline_is_matched_by_prompt_id_with_its_first_sample(tmp_path):
    baseline = write_samples(tmp_path / "baseline", [("p1", "", ["first", "second"]), ("p0", "", ["zero"])])
    options = argparse.Namespace(baseline=str(baseline))
    key, found = judge.references(options, seed=0)
    assert (key, found) == ("id", {"p1": "first", "p0": "zero"})
    prompts = [{"id": "p0", "prompt": "a", "samples": ["x"]}, {"id": "p1", "prompt": "b", "samples": ["y"]}]
    assert [reference for _, reference in judge.matched(prompts, key, found)] == ["zero", "first"]


def endpoint_judge(tmp_path, base_url, *extra):
    baseline = tmp_path / "baseline.jsonl"
    baseline.write_text("".join(json.dumps({"prompt": f"post {i}" + (" garbage" if i == 2 else ""), "completion": f"REF {i}"}) + "\n" for i in range(3)))
    samples = write_samples(tmp_path / "samples", [
        ("p0", "post 0", ["GOOD one", "plain two"]), ("p1", "post 1", ["GOOD three", "GOOD four", "plain five"]),
        ("p2", "post 2 garbage", ["GOOD six"]),
    ])
    environment = {"ABLATE_JUDGE_BASE_URL": base_url, "ABLATE_JUDGE_API_KEY": "test-key", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    return run_runner("judge", "--samples", samples, "--baseline", baseline, "--judge", "endpoint", "--endpoint-model", "gpt-4",
                      "--seed", "1", *extra, "--output", tmp_path / "out", env=environment)


def test_endpoint_judge_counts_unparseable_answers_and_wins_of_the_rest(tmp_path, fake_endpoint):
    result = endpoint_judge(tmp_path, fake_endpoint + "/v1/")
    assert result.returncode == 0, result.stderr
    metrics = read_json(tmp_path / "out" / "metrics.json")
    assert metrics == {"judge/judged": 5, "judge/unparseable": 1, "judge/win_rate": pytest.approx(3 / 5)}
    items = read_lines(tmp_path / "out" / "items.jsonl")
    assert items == [{"item": "p0", "judge/win_rate": 0.5}, {"item": "p1", "judge/win_rate": pytest.approx(2 / 3)}, {"item": "p2", "judge/win_rate": None}]
    requests = FakeJudge.requests
    assert len(requests) == 6
    assert {request["path"] for request in requests} == {"/v1/chat/completions"}
    assert {request["authorization"] for request in requests} == {"Bearer test-key"}
    assert {request["body"]["model"] for request in requests} == {"gpt-4"}
    assert requests[0]["body"]["messages"][0] == {"role": "system", "content": "You are a helpful assistant, that ranks models by the quality of their answers."}
    # The sample is shown on both sides across the pairs.
    sides = {re.search(r'"model_1",\s*"summary": """(.*?)"""', request["body"]["messages"][1]["content"], re.S).group(1).startswith("REF") for request in requests}
    assert sides == {True, False}


def test_endpoint_errors_are_one_line_and_server_errors_retried_once(tmp_path, fake_endpoint, monkeypatch):
    one_line_error(endpoint_judge(tmp_path, fake_endpoint + "/denied"), 'HTTP 401 {"error": {"message": "invalid api key"}}')
    assert len(FakeJudge.requests) == 1  # no retry for a client error
    monkeypatch.setattr(judge, "RETRY_WAIT", 0)
    monkeypatch.setenv("ABLATE_JUDGE_BASE_URL", fake_endpoint + "/broken")
    with pytest.raises(RunnerError, match="HTTP 500"):
        judge.EndpointJudge("gpt-4", "summary", seed=0).wins("post", ["sample"], "reference", position=0)
    assert len(FakeJudge.requests) == 3  # one retry for a server error
    monkeypatch.delenv("ABLATE_JUDGE_BASE_URL")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(RunnerError, match="ABLATE_JUDGE_BASE_URL or OPENAI_BASE_URL"):
        judge.EndpointJudge("gpt-4", "summary", seed=0)


def test_prompts_without_a_reference_are_an_error():
    prompts = [{"id": "p0", "prompt": "known", "samples": ["x"]}, {"id": "p1", "prompt": "a prompt nobody wrote", "samples": ["y"]}]
    with pytest.raises(RunnerError, match="1 of 2 prompts have no reference in the baseline \\(matched by prompt\\), such as 'p1'"):
        judge.matched(prompts, "prompt", {"known": "reference"})


# --- linguistic ------------------------------------------------------------------------------

def test_known_counts_of_a_tiny_text():
    values = summarise([analyse("The cat sat. The cats sat.")], FEATURES)
    assert values["sentence_length/mean"] == 3 and values["sentence_length/std"] == 0
    assert {tag: values[f"pos/{tag}"] for tag in ["NOUN", "VERB", "DET"]} == pytest.approx({"NOUN": 1 / 3, "VERB": 1 / 3, "DET": 1 / 3})
    assert values["lemmas/distinct"] == 3 and values["lemmas/type_token_ratio"] == 0.5
    assert analyse("They were running quickly!")["lemmas"] == ["they", "be", "run", "quickly"]
    # Contractions stay whole (TextBlob's tokenizer alone splits every apostrophe) and negate.
    assert sentences("Dr. Smith's dogs don't bark. Really?") == [["Dr.", "Smith", "'s", "dogs", "do", "n't", "bark", "."], ["Really", "?"]]
    assert analyse("It isn't good.")["polarity"] == analyse("It is not good.")["polarity"] < 0


def test_linguistic_features_of_data_and_samples(tmp_path):
    samples = write_samples(tmp_path / "samples", [
        ("p0", "Write about the sea.", ["The sea is calm and beautiful. I love it!", "Waves."]),
        ("p1", "Write about winter.", ["Winter was cold and terrible."]),
    ])
    result = run_runner("linguistic", "--data", QUICKSTART_DATA / "summaries-id.jsonl", "--samples", samples, "--output", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    metrics = read_json(tmp_path / "out" / "metrics.json")
    for source in ["data", "samples"]:
        assert metrics[f"{source}/sentence_length/mean"] > 0
        assert sum(metrics[f"{source}/pos/{tag}"] for tag in UNIVERSAL_TAGS) == pytest.approx(1)
        assert -1 <= metrics[f"{source}/sentiment/polarity"] <= 1 and 0 <= metrics[f"{source}/sentiment/subjectivity"] <= 1
        assert 0 < metrics[f"{source}/lemmas/type_token_ratio"] <= 1
    assert metrics["data/texts"] == len(read_lines(QUICKSTART_DATA / "summaries-id.jsonl")) and metrics["samples/texts"] == 3
    assert metrics["samples/sentence_length/mean"] == pytest.approx((6 + 3 + 1 + 5) / 4)
    items = read_lines(tmp_path / "out" / "items.jsonl")
    assert [item["item"] for item in items] == ["p0", "p1"]
    assert items[1]["samples/sentence_length/mean"] == 5
    assert items[0]["samples/sentiment/polarity"] > 0 > items[1]["samples/sentiment/polarity"]
    # Sentiment is a mean over texts: two of p0, one of p1.
    polarities = [item["samples/sentiment/polarity"] for item in items]
    assert metrics["samples/sentiment/polarity"] == pytest.approx((2 * polarities[0] + polarities[1]) / 3)
    assert "samples/pos/NOUN" in items[0] and "samples/lemmas/distinct" not in items[0]

    assert set(summarise([analyse("One two. Three.")], ["length"])) == {"texts", "sentence_length/mean", "sentence_length/std"}


def test_linguistic_needs_something_to_analyse(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        linguistic_main(["--output", str(tmp_path / "out")])
    assert stopped.value.code == 1 and capsys.readouterr().err == "error: nothing to analyse: give --data, --samples or both\n"

# --- lm_eval ---------------------------------------------------------------------------------

def test_lm_eval_on_the_quickstart_task(tiny_models, tmp_path, hf_home):
    result = run_runner("lm_eval", "--model", tiny_models["model"], "--tasks", "quickstart_mc", "--task-dir", TASK_DIR,
                        "--batch-size", "4", "--seed", "1", "--output", tmp_path / "out", home=hf_home)
    assert result.returncode == 0, result.stderr
    results_files = list((tmp_path / "out" / "results").glob("results_*.json"))
    assert len(results_files) == 1
    results = read_json(results_files[0])
    assert 0 <= results["results"]["quickstart_mc"]["acc,none"] <= 1
    assert "acc_stderr,none" in results["results"]["quickstart_mc"] and "samples" not in results
    assert {"configs", "versions", "n-shot"} <= set(results)
    logs = read_lines(tmp_path / "out" / "results" / "samples_quickstart_mc.jsonl")
    assert len(logs) == len(read_lines(TASK_DIR / "multiple-choice.jsonl")) and {"doc", "target", "acc"} <= set(logs[0])
    assert not (tmp_path / "out" / "metrics.json").exists()


def test_lm_eval_unknown_task_is_one_line(tmp_path):
    result = run_runner("lm_eval", "--model", tmp_path / "unused", "--tasks", "no_such_task", "--task-dir", TASK_DIR, "--output", tmp_path / "out")
    one_line_error(result, "unknown lm-eval task no_such_task")
