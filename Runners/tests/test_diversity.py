import json
import subprocess
import sys
from pathlib import Path

import pytest

from ablate_runners.diversity import distinct_n, diversity, ead

RUNNERS = Path(__file__).resolve().parent.parent


def write_samples(directory, prompts):
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "samples.jsonl", "w") as handle:
        for index, samples in enumerate(prompts):
            handle.write(json.dumps({"prompt_id": f"p{index}", "prompt": f"prompt {index}", "samples": samples}) + "\n")
    return directory


def test_distinct_n_of_identical_and_distinct_texts():
    assert distinct_n(["a b c", "a b c"]) == pytest.approx((3 / 6 + 2 / 4 + 1 / 2) / 3)
    assert distinct_n(["a b c", "d e f"]) == 1.0
    assert distinct_n([""]) is None


def test_ead_adjusts_for_the_expected_number_of_distinct_ngrams():
    # Six unigrams from a vocabulary of 6: expected distinct = 6 * (1 - (5/6)^6).
    expected = 6 * (1 - (5 / 6) ** 6)
    unigrams_only = ead(["a b c", "d e f"], vocabulary_size=6, orders=[1])
    assert unigrams_only == pytest.approx(6 / expected)
    assert ead(["a a a", "a a a"], vocabulary_size=6, orders=[1]) < unigrams_only


def test_per_input_and_across_input_values_with_items():
    prompts = [
        {"id": "p0", "prompt": "", "samples": ["the cat sat", "the cat sat"]},
        {"id": "p1", "prompt": "", "samples": ["a dog ran far", "birds sing loudly now"]},
    ]
    scalars, items = diversity(prompts, ["distinct-n", "ead"])
    assert [item["item"] for item in items] == ["p0", "p1"]
    assert items[0]["per_input/distinct_n"] < items[1]["per_input/distinct_n"] == 1.0
    assert scalars["per_input/distinct_n"] == pytest.approx((items[0]["per_input/distinct_n"] + 1.0) / 2)
    assert scalars["across_input/distinct_n"] == 1.0
    assert set(scalars) == {"per_input/distinct_n", "across_input/distinct_n", "per_input/ead", "across_input/ead"}


def run(*arguments):
    return subprocess.run([sys.executable, "-m", "ablate_runners.diversity", *arguments], cwd=RUNNERS, capture_output=True, text=True)


def test_the_command_writes_metrics_and_items(tmp_path):
    samples = write_samples(tmp_path / "samples", [["one two", "three four"], ["same same", "same same"], ["x y z", "x y w"]])
    result = run("--samples", str(samples), "--metrics", "distinct-n", "ead", "--seed", "3", "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert 0 < metrics["per_input/distinct_n"] <= 1
    items = [json.loads(line) for line in (tmp_path / "out" / "items.jsonl").read_text().splitlines()]
    assert [item["item"] for item in items] == ["p0", "p1", "p2"]


def test_bad_input_exits_non_zero_with_one_line(tmp_path):
    missing = run("--samples", str(tmp_path / "nowhere"), "--output", str(tmp_path / "out"))
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0 and "no samples at" in missing.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "samples.jsonl").write_text('{"prompt_id": "p", "samples": "not a list"}\n')
    result = run("--samples", str(broken), "--output", str(tmp_path / "out"))
    assert result.returncode == 1 and "'samples' must be a list of strings" in result.stderr
    nli = run("--samples", str(write_samples(tmp_path / "ok", [["a", "b"]])), "--metrics", "nli", "--output", str(tmp_path / "out"))
    assert nli.returncode == 1 and "--nli-model" in nli.stderr


def test_sentence_bert_diversity_with_the_packaged_minilm(tmp_path, hf_home):
    pytest.importorskip("sentence_transformers")
    samples = write_samples(tmp_path / "samples", [["The cat sat on the mat."] * 3, ["The cat sat on the mat.", "Stock markets fell sharply today.", "Bake the bread for an hour."]])
    result = run("--samples", str(samples), "--metrics", "sentence-bert", "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    items = [json.loads(line) for line in (tmp_path / "out" / "items.jsonl").read_text().splitlines()]
    identical, varied = (item["per_input/sentence_bert"] for item in items)
    assert identical == pytest.approx(0, abs=1e-5)
    assert varied > 0.5
