"""The score runner: the reward model's score of every sample, against the reward model called
directly."""

import pytest

from conftest import one_line_error, read_json, read_lines, run_runner, write_lines


def direct_scores(reward_model, pairs):
    """The reward model's logit of each prompt in the tokenizer's chat template, as a user turn
    awaiting the reply, + sample + EOS alone, as transformers gives it."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(reward_model)
    model = AutoModelForSequenceClassification.from_pretrained(reward_model, num_labels=1).eval()
    assert tokenizer.chat_template, "the tiny reward model's tokenizer has a chat template"

    def text(prompt, sample):
        turn = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
        return turn + sample + tokenizer.eos_token

    with torch.no_grad():
        return [model(**tokenizer(text(prompt, sample), return_tensors="pt", add_special_tokens=False)).logits[0, 0].item()
                for prompt, sample in pairs]


def test_scores_are_the_reward_models_and_items_agree_with_them(tiny_models, tmp_path, hf_home):
    prompts = [("p0", "Write one sentence about the sea.", ["The sea is calm.", "Waves, waves and more waves today.", "Blue."]),
               ("p1", "What do you think of winter?", ["It is cold."]),
               ("p2", "Summarise: A short post about music.", [])]
    samples = write_lines(tmp_path / "samples" / "samples.jsonl",
                          [{"prompt_id": key, "prompt": prompt, "samples": texts} for key, prompt, texts in prompts])
    result = run_runner("score", "--samples", samples.parent, "--reward-model", tiny_models["reward_model"], "--batch-size", "2",
                        "--output", tmp_path / "out", home=hf_home)
    assert result.returncode == 0, result.stderr
    assert "loading the model in float32" in result.stderr
    expected = direct_scores(tiny_models["reward_model"], [(prompt, text) for _, prompt, texts in prompts for text in texts])
    records = read_lines(tmp_path / "out" / "scores" / "scores.jsonl")
    assert [(record["prompt_id"], record["prompt"], record["samples"]) for record in records] == prompts
    assert [score for record in records for score in record["scores"]] == pytest.approx(expected, abs=1e-5)
    assert [len(record["scores"]) for record in records] == [3, 1, 0]
    assert records[0]["score"] == pytest.approx(sum(records[0]["scores"]) / 3) and records[2]["score"] is None
    items = read_lines(tmp_path / "out" / "items.jsonl")
    assert items == [{"item": record["prompt_id"], "score/mean": record["score"]} for record in records]
    metrics = read_json(tmp_path / "out" / "metrics.json")
    mean = sum(expected) / 4
    assert metrics == {"prompts": 3, "samples": 4, "score/mean": pytest.approx(mean, abs=1e-5),
                       "score/std": pytest.approx((sum((score - mean) ** 2 for score in expected) / 4) ** 0.5, abs=1e-5)}


def test_score_without_samples_is_one_line(tmp_path):
    result = run_runner("score", "--samples", tmp_path / "none", "--reward-model", tmp_path / "unused", "--output", tmp_path / "out")
    one_line_error(result, "no samples at")
