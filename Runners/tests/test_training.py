"""The training runners (sft, reward, dpo) and merge on the tiny models, each in its own process
as the pipeline runs them: SFT once, DPO on top of its adapter, merge of that chain."""

import json
import math

import pytest

from conftest import QUICKSTART_DATA, read_json, read_lines, run_runner

LORA = ["--lora-r", 8, "--lora-alpha", 16, "--lora-target-modules", "q_proj", "v_proj"]
SHORT = ["--max-steps", 3, "--batch-size", 2, *LORA]


def strict_lines(path):
    """metrics.jsonl as objects, failing on NaN or Infinity (not JSON)."""
    def reject(constant):
        raise ValueError(f"{path}: non-JSON constant {constant}")
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line, parse_constant=reject) for line in handle if line.strip()]


def assert_loss_series(output, steps):
    losses = {line["step"]: line["loss"] for line in strict_lines(output / "metrics.jsonl") if "loss" in line}
    assert sorted(losses) == list(range(1, steps + 1))
    assert all(isinstance(loss, float) and math.isfinite(loss) for loss in losses.values())


def trained(module, *arguments, output, home):
    result = run_runner(module, *arguments, *SHORT, "--output", output, home=home)
    assert result.returncode == 0, result.stderr
    return output


@pytest.fixture(scope="module")
def sft_output(tiny_models, tmp_path_factory, hf_home):
    return trained("sft", "--model", tiny_models["model"], "--data", QUICKSTART_DATA / "instructions.jsonl",
                   "--data-format", "prompt-completion", output=tmp_path_factory.mktemp("sft"), home=hf_home)


@pytest.fixture(scope="module")
def dpo_output(sft_output, tmp_path_factory, hf_home):
    return trained("dpo", "--model", sft_output / "model", "--data", QUICKSTART_DATA / "preferences-shp.jsonl",
                   "--data-format", "preference", "--beta", 0.1, output=tmp_path_factory.mktemp("dpo"), home=hf_home)


def test_sft_writes_an_adapter_on_its_input_and_a_loss_series(sft_output, tiny_models):
    assert read_json(sft_output / "model" / "adapter_config.json")["base_model_name_or_path"] == str(tiny_models["model"])
    assert_loss_series(sft_output, 3)
    assert math.isfinite(read_json(sft_output / "metrics.json")["train/loss"])


def test_reward_trains_the_score_head_and_measures_pair_accuracy(tiny_models, tmp_path, hf_home):
    output = trained("reward", "--model", tiny_models["reward_model"], "--data", QUICKSTART_DATA / "preferences-hh.jsonl",
                     "--data-format", "preference", output=tmp_path, home=hf_home)
    adapter = read_json(output / "model" / "adapter_config.json")
    assert adapter["base_model_name_or_path"] == str(tiny_models["reward_model"])
    assert "score" in adapter["modules_to_save"]
    assert_loss_series(output, 3)
    metrics = read_json(output / "metrics.json")
    assert 0.0 <= metrics["reward/accuracy"] <= 1.0 and math.isfinite(metrics["train/loss"])
    items = strict_lines(output / "items.jsonl")
    pairs = len(read_lines(QUICKSTART_DATA / "preferences-hh.jsonl"))
    assert len(items) == pairs and {item["reward/accuracy"] for item in items} <= {0, 1}
    assert sum(item["reward/accuracy"] for item in items) / pairs == pytest.approx(metrics["reward/accuracy"])
    assert "reward/eval_accuracy" not in metrics


def test_reward_is_scored_on_held_out_pairs(tiny_models, tmp_path, hf_home):
    held_out = QUICKSTART_DATA / "preferences-hh-test.jsonl"
    output = trained("reward", "--model", tiny_models["reward_model"], "--data", QUICKSTART_DATA / "preferences-hh.jsonl",
                     "--eval-data", held_out, output=tmp_path, home=hf_home)
    metrics = read_json(output / "metrics.json")
    outcomes = [item["reward/eval_accuracy"] for item in strict_lines(output / "items.jsonl") if "reward/eval_accuracy" in item]
    assert len(outcomes) == len(read_lines(held_out)) and set(outcomes) <= {0, 1}
    assert metrics["reward/eval_accuracy"] == pytest.approx(sum(outcomes) / len(outcomes))


def test_dpo_chains_an_adapter_on_the_sft_adapter(dpo_output, sft_output):
    assert read_json(dpo_output / "model" / "adapter_config.json")["base_model_name_or_path"] == str(sft_output / "model")
    assert_loss_series(dpo_output, 3)
    metrics = read_json(dpo_output / "metrics.json")
    assert math.isfinite(metrics["train/loss"]) and 0.0 <= metrics["rewards/accuracies"] <= 1.0


def test_merge_writes_a_plain_model_that_generates_like_the_chain(dpo_output, tiny_models, tmp_path, hf_home):
    torch = pytest.importorskip("torch")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ablate_runners.models import is_adapter, load_model

    result = run_runner("merge", "--model", dpo_output / "model", "--output", tmp_path, home=hf_home)
    assert result.returncode == 0, result.stderr
    merged_path = tmp_path / "model"
    assert not is_adapter(merged_path)
    merged = AutoModelForCausalLM.from_pretrained(merged_path).eval()
    chain = load_model(str(dpo_output / "model"), {"dtype": torch.float32}).eval()
    base = AutoModelForCausalLM.from_pretrained(tiny_models["model"])
    assert not any("lora" in name for name in merged.state_dict())
    q_proj = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(merged.state_dict()[q_proj], base.state_dict()[q_proj])

    tokenizer = AutoTokenizer.from_pretrained(merged_path)
    prompt = tokenizer("Write one sentence about the moon.", return_tensors="pt")
    options = dict(max_new_tokens=8, do_sample=False, output_logits=True, return_dict_in_generate=True,
                   pad_token_id=tokenizer.pad_token_id)
    with torch.no_grad():
        ours, theirs = merged.generate(**prompt, **options), chain.generate(**prompt, **options)
    assert torch.equal(ours.sequences, theirs.sequences)
    for mine, reference in zip(ours.logits, theirs.logits):
        assert torch.allclose(mine, reference, atol=1e-5)


def test_tiny_model_is_byte_identical_for_the_same_seed(tiny_models, tmp_path, hf_home):
    result = run_runner("tiny_model", "--output", tmp_path, "--seed", 0, home=hf_home)
    assert result.returncode == 0, result.stderr
    for name in ("model", "reward_model"):
        assert (tmp_path / name / "model.safetensors").read_bytes() == (tiny_models[name] / "model.safetensors").read_bytes()


def assert_fails_cleanly(result, cause):
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and cause in errors[0], result.stderr
    assert result.stderr.rstrip().endswith(errors[0])


def test_a_missing_data_file_is_one_error_line(tiny_models, tmp_path, hf_home):
    missing = tmp_path / "absent.jsonl"
    result = run_runner("dpo", "--model", tiny_models["model"], "--data", missing, "--output", tmp_path / "out", home=hf_home)
    assert_fails_cleanly(result, f"dataset not found: {missing}")


def test_preference_data_without_chosen_is_one_error_line(tiny_models, tmp_path, hf_home):
    data = tmp_path / "no-chosen.jsonl"
    data.write_text(json.dumps({"prompt": "Tell me about the moon.", "rejected": "No."}) + "\n")
    result = run_runner("reward", "--model", tiny_models["reward_model"], "--data", data, "--data-format", "preference",
                        "--output", tmp_path / "out", home=hf_home)
    assert_fails_cleanly(result, "preference data needs the columns of a known layout")
