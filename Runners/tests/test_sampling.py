"""The sampling runners on the tiny model, run as the pipeline runs them: generate, best-of-N and
PPO (in TRL 1.12's environment, named by ABLATE_PPO_PYTHON)."""

import json
import math
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import QUICKSTART_DATA, read_json, read_lines, run_runner

PROMPTS = QUICKSTART_DATA / "summaries-id.jsonl"
SHORT = ["--max-new-tokens", "6", "--batch-size", "4"]


def strict_lines(path):
    """The lines of a JSONL file, parsed as strict JSON: NaN or Infinity fails the test."""
    def refuse(constant):
        raise ValueError(f"{path} holds {constant}")
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line, parse_constant=refuse) for line in handle if line.strip()]


def generate(tiny_models, hf_home, output, seed):
    result = run_runner("generate", "--model", tiny_models["model"], "--prompts", PROMPTS, "--samples-per-prompt", 3,
                        "--seed", seed, *SHORT, "--output", output, home=hf_home)
    assert result.returncode == 0, result.stderr
    return read_lines(output / "samples" / "samples.jsonl")


def test_generate_writes_k_samples_per_prompt_the_same_for_the_same_seed(tiny_models, hf_home, tmp_path):
    with ThreadPoolExecutor() as pool:  # three processes at once: each spends most of its time importing
        first, again, other = pool.map(lambda run: generate(tiny_models, hf_home, tmp_path / run[0], seed=run[1]),
                                       [("first", 0), ("again", 0), ("other", 1)])
    prompts = read_lines(PROMPTS)
    assert [record["prompt"] for record in first] == [prompt["prompt"] for prompt in prompts]
    assert [record["prompt_id"] for record in first] == [str(index) for index in range(len(prompts))]
    assert all(len(record["samples"]) == 3 and all(isinstance(sample, str) for sample in record["samples"]) for record in first)
    assert not any("<|assistant|>" in sample or "<|end|>" in sample for record in first for sample in record["samples"])

    metrics = read_json(tmp_path / "first" / "metrics.json")
    assert metrics["generate/prompts"] == len(prompts) and metrics["generate/samples"] == 3 * len(prompts)
    assert 0 < metrics["generate/mean_length"] <= 6

    assert again == first
    assert [record["samples"] for record in other] != [record["samples"] for record in first]


def test_bon_keeps_the_best_of_n_candidates(tiny_models, hf_home, tmp_path):
    result = run_runner("bon", "--model", tiny_models["model"], "--reward-model", tiny_models["reward_model"], "--prompts", PROMPTS,
                        "--max-prompts", 3, "--n", 4, "--samples-per-prompt", 2, *SHORT, "--output", tmp_path, home=hf_home)
    assert result.returncode == 0, result.stderr

    rankings = read_lines(tmp_path / "samples" / "candidates.jsonl")
    assert [(ranking["prompt_id"], ranking["pick"]) for ranking in rankings] == [(str(p), k) for p in range(3) for k in range(2)]
    for ranking in rankings:
        assert len(ranking["candidates"]) == len(ranking["rewards"]) == 4
        assert ranking["rewards"][ranking["chosen"]] == max(ranking["rewards"])

    samples = read_lines(tmp_path / "samples" / "samples.jsonl")
    chosen = [ranking["candidates"][ranking["chosen"]] for ranking in rankings]
    assert [sample for record in samples for sample in record["samples"]] == chosen

    metrics = read_json(tmp_path / "metrics.json")
    best = [max(ranking["rewards"]) for ranking in rankings]
    assert metrics["bon/mean_reward"] == pytest.approx(sum(best) / len(best))
    assert metrics["bon/mean_reward"] >= metrics["bon/mean_candidate_reward"]
    items = read_lines(tmp_path / "items.jsonl")
    assert [item["item"] for item in items] == ["0", "1", "2"]
    assert items[0]["bon/reward"] == pytest.approx((best[0] + best[1]) / 2)


@pytest.mark.skipif(not os.environ.get("ABLATE_PPO_PYTHON"), reason="ABLATE_PPO_PYTHON (the TRL 1.12 environment's python) is not set")
def test_ppo_trains_an_adapter_on_top_of_the_sft_adapter(tiny_models, hf_home, tmp_path):
    instructions = QUICKSTART_DATA / "instructions.jsonl"
    sft = run_runner("sft", "--model", tiny_models["model"], "--data", instructions, "--data-format", "prompt-completion",
                     "--lora-r", 8, "--lora-alpha", 16, "--lora-target-modules", "q_proj", "v_proj", "--max-steps", 2, "--batch-size", 2,
                     "--output", tmp_path / "sft", home=hf_home)
    assert sft.returncode == 0, sft.stderr

    output = tmp_path / "ppo"
    result = run_runner("ppo", "--model", tmp_path / "sft" / "model", "--reward-model", tiny_models["reward_model"], "--prompts", instructions,
                        "--prompts-format", "prompt-completion", "--max-prompts", 4, "--lora-r", 4, "--max-steps", 2, "--batch-size", 2,
                        "--ppo-epochs", 1, "--max-new-tokens", 6, "--kl-coef", 0.1, "--output", output,
                        python=os.environ["ABLATE_PPO_PYTHON"], home=hf_home)
    assert result.returncode == 0, result.stderr

    assert read_json(output / "model" / "adapter_config.json")["base_model_name_or_path"] == str(tmp_path / "sft" / "model")
    steps = strict_lines(output / "metrics.jsonl")
    assert [step["step"] for step in steps] == [1, 2]
    assert all(isinstance(step["objective/scores"], float) and math.isfinite(step["objective/scores"]) for step in steps)
    metrics = read_json(output / "metrics.json")
    assert metrics["ppo/mean_score"] == steps[-1]["objective/scores"]
    assert metrics["train/steps"] == 2 and isinstance(metrics["train/loss"], float)


def test_generate_without_its_prompts_fails_with_one_line(tiny_models, hf_home, tmp_path):
    missing = tmp_path / "missing.jsonl"
    result = run_runner("generate", "--model", tiny_models["model"], "--prompts", missing, "--output", tmp_path / "out", home=hf_home)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: dataset not found: {missing}"


def test_bon_without_its_reward_model_fails_with_one_line(tiny_models, hf_home, tmp_path):
    missing = tmp_path / "missing-reward-model"
    result = run_runner("bon", "--model", tiny_models["model"], "--reward-model", missing, "--prompts", PROMPTS, "--output", tmp_path / "out",
                        home=hf_home)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: model not found: {missing}"
