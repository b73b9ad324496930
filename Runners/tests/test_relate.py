"""The relate runner: Spearman's rho between a test input's distance from the fine-tuning data and
its score, checked against scipy and on hand-made data whose distances rise as the score falls."""

import random

import pytest

from ablate_runners.relate import bootstrap, jensen_shannon, ranks, spearman
from conftest import one_line_error, read_json, read_lines, run_runner, write_lines


# --- the statistics --------------------------------------------------------------------------

def test_spearman_with_ties_and_its_interval_agree_with_scipy():
    from scipy.stats import spearmanr

    draw = random.Random(3)
    distances = [round(draw.random(), 1) for _ in range(40)]  # many ties
    scores = [round(distance * 2 + draw.gauss(0, 0.4), 1) for distance in distances]
    assert ranks([3, 1, 3, 2]) == [3.5, 1.0, 3.5, 2.0]
    rho = spearmanr(distances, scores).statistic
    assert spearman(distances, scores) == pytest.approx(rho, abs=1e-12)
    low, high = bootstrap(distances, scores, 500, seed=0)
    assert low < rho < high and -1 <= low and high <= 1
    assert bootstrap(distances, scores, 500, seed=0) == (low, high) != bootstrap(distances, scores, 500, seed=1)
    assert spearman([1, 1, 1], [1, 2, 3]) is None and spearman([1], [2]) is None


def test_jensen_shannon_distance_is_scipys_in_base_2():
    from scipy.spatial.distance import jensenshannon

    p, q = [0.5, 0.5, 0.0], [0.1, 0.2, 0.7]
    assert jensen_shannon(p, q) == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)
    assert jensen_shannon(p, p) == 0 and jensen_shannon([1, 0], [0, 1]) == pytest.approx(1)


# --- the runner ------------------------------------------------------------------------------

UNSEEN = ["zebra", "quartz", "violin", "harbor", "saddle", "meadow"]


def drifting_inputs():
    """Test inputs whose sentence length and share of unseen lemmas rise with i, and whose score
    falls: prompt i is the fine-tuning data's sentence with the first i unseen words after it."""
    return [{"prompt_id": f"p{i}", "prompt": "The cat sat on the mat " + " ".join(UNSEEN[:i]) + ".", "samples": ["s"], "scores": [-i],
             "score": -i} for i in range(len(UNSEEN))]


def test_relate_finds_a_constructed_monotone_relation(tmp_path):
    data = write_lines(tmp_path / "data.jsonl", [{"prompt": "Say something.", "completion": text}
                                                  for text in ["The good cat sat.", "The cat sat on the mat.", "The dog sat on the bad mat today."]])
    scores = drifting_inputs() + [{"prompt_id": "unscored", "prompt": "The cat sat.", "samples": [], "scores": [], "score": None},
                                  {"prompt_id": "empty", "prompt": "", "samples": ["s"], "scores": [5.0], "score": 5.0}]
    write_lines(tmp_path / "scores" / "scores.jsonl", scores)
    result = run_runner("relate", "--data", data, "--scores", tmp_path / "scores", "--resamples", "200", "--output", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    metrics = read_json(tmp_path / "out" / "metrics.json")
    for measure in ["sentence_length", "lemmas"]:
        assert metrics[f"relate/{measure}/spearman"] == pytest.approx(-1)
        assert metrics[f"relate/{measure}/low"] <= -0.99 and metrics[f"relate/{measure}/high"] == pytest.approx(-1)
        assert metrics[f"relate/{measure}/n"] == 6  # the unscored input and the one without words are left out
    # An empty text's TextBlob sentiment is 0: defined, so its item counts.
    assert metrics["relate/polarity/n"] == metrics["relate/subjectivity/n"] == 7 and metrics["relate/pos/n"] == 6
    assert sorted(metrics) == sorted(f"relate/{measure}/{statistic}" for measure in ["sentence_length", "polarity", "subjectivity", "pos", "lemmas"]
                                     for statistic in ["spearman", "low", "high", "n"])
    items = read_lines(tmp_path / "out" / "items.jsonl")
    assert [item["item"] for item in items] == [score["prompt_id"] for score in scores]
    assert [item["score"] for item in items] == [score["score"] for score in scores]
    assert [item["relate/lemmas/distance"] for item in items[:6]] == pytest.approx([i / (5 + i) for i in range(6)])
    assert items[-1]["relate/sentence_length/distance"] is None and items[-1]["relate/pos/distance"] is None


def test_relate_features_choose_the_measures_and_a_constant_feature_relates_nothing(tmp_path):
    data = write_lines(tmp_path / "data.jsonl", [{"prompt": "The cat sat."}, {"prompt": "The dog sat on the mat today."}])
    write_lines(tmp_path / "scores.jsonl", drifting_inputs())
    result = run_runner("relate", "--data", data, "--scores", tmp_path / "scores.jsonl", "--features", "lemmas", "sentiment",
                        "--resamples", "50", "--output", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    metrics = read_json(tmp_path / "out" / "metrics.json")
    assert sorted(metrics) == sorted(f"relate/{measure}/{statistic}" for measure in ["lemmas", "polarity", "subjectivity"]
                                     for statistic in ["spearman", "low", "high", "n"])
    # Both texts of the data are neutral: sd 0, so no input has a sentiment distance.
    assert metrics["relate/polarity/n"] == 0 and metrics["relate/polarity/spearman"] is None and metrics["relate/polarity/low"] is None
    assert metrics["relate/lemmas/n"] == 6


def test_relate_without_scores_is_one_line(tmp_path):
    data = write_lines(tmp_path / "data.jsonl", [{"prompt": "Say something.", "completion": "The cat sat."}])
    result = run_runner("relate", "--data", data, "--scores", tmp_path / "missing", "--output", tmp_path / "out")
    one_line_error(result, f"no scores at {tmp_path / 'missing'}; a 'score' stage writes scores.jsonl")
