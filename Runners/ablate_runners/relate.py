"""Does a model do worse on inputs whose linguistic properties lie far from its fine-tuning data's?
The analysis of "Investigating Collapse on RL Fine-Tuning Data Distribution": per test input, how far
its features lie from the fine-tuning data's, against the reward of the model's output for it.

    python -m ablate_runners.relate --data PATH [--data-format F ...] --scores DIR
        [--features length sentiment pos lemmas] [--resamples 1000] [--seed 0] --output DIR

The fine-tuning data's texts are those linguistic.py analyses (its responses, or its prompts when it
has none); the test inputs are the prompts of a `score` stage's scores.jsonl, each with its score
(the mean reward of the model's samples for it). Features come from linguistic.analyse. A test
input's distance from the data, per feature:

- sentence_length, polarity, subjectivity (--features length, sentiment): |x - mean| / sd, with x
  the input's value (its mean words per sentence; its TextBlob polarity or subjectivity) and the
  mean and population sd those of the data's texts' values;
- pos: the Jensen-Shannon distance (base 2, so from 0 to 1) between the input's universal tag shares
  and the shares of all the data's words;
- lemmas: the share of the input's distinct lemmas that no text of the data has.

A distance is undefined (and its item left out of that feature) for an input without words or
sentences, or when the data's sd is 0. Per feature: Spearman's rank correlation between distance and
score (average ranks for ties), a percentile bootstrap 95% interval (--resamples resamples of the
items, drawn with --seed; resamples whose ranks are constant are dropped) and the number of items.

Writes metrics.json (relate/FEATURE/spearman, /low, /high, /n) and items.jsonl (per test input its
score and relate/FEATURE/distance).
"""

import argparse
import json
import math
import os
import random
import statistics
from collections import Counter

from . import manifest
from .common import RunnerError, fail, write_metrics
from .data import add_dataset_arguments, load_records
from .linguistic import FEATURES, UNIVERSAL_TAGS, analyse, texts_of

KIND = "relate"
# The measures each --features choice gives.
MEASURES = {"length": ["sentence_length"], "sentiment": ["polarity", "subjectivity"], "pos": ["pos"], "lemmas": ["lemmas"]}
LEVEL = 0.95


def read_scores(path):
    """[{"id", "prompt", "score"}] from a score stage's scores.jsonl (in `path` if it is a directory)."""
    file = os.path.join(path, "scores.jsonl") if os.path.isdir(path) else path
    if not os.path.isfile(file):
        raise RunnerError(f"no scores at {file}; a 'score' stage writes scores.jsonl")
    found = []
    with open(file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise RunnerError(f"{file}:{number}: not JSON ({error.msg})") from None
            if not isinstance(record.get("prompt"), str):
                raise RunnerError(f"{file}:{number}: 'prompt' must be a string")
            score = record.get("score")
            if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
                raise RunnerError(f"{file}:{number}: 'score' must be a number or null")
            found.append({"id": str(record.get("prompt_id", number)), "prompt": record["prompt"], "score": score})
    if not found:
        raise RunnerError(f"{file} holds no scores")
    return found


def shares(tags):
    total = sum(tags.values())
    return [tags[tag] / total for tag in UNIVERSAL_TAGS] if total else None


def jensen_shannon(p, q):
    """The Jensen-Shannon distance (the square root of the divergence, base 2) of two distributions."""
    middle = [(a + b) / 2 for a, b in zip(p, q)]

    def divergence(x):
        return sum(a * math.log2(a / m) for a, m in zip(x, middle) if a > 0)

    return math.sqrt(max((divergence(p) + divergence(q)) / 2, 0.0))


def values(analysis):
    """The per-text values of the scalar measures (None where undefined)."""
    lengths = analysis["lengths"]
    return {"sentence_length": statistics.fmean(lengths) if lengths else None, "polarity": analysis["polarity"],
            "subjectivity": analysis["subjectivity"]}


class Reference:
    """The fine-tuning data's feature distribution, and a test input's distance from it."""

    def __init__(self, analyses):
        per_text = [values(analysis) for analysis in analyses]
        self.scalars = {}
        for name in ("sentence_length", "polarity", "subjectivity"):
            found = [text[name] for text in per_text if text[name] is not None]
            self.scalars[name] = (statistics.fmean(found), statistics.pstdev(found)) if found else None
        self.shares = shares(Counter(tag for analysis in analyses for tag in analysis["tags"]))
        self.lemmas = {word for analysis in analyses for word in analysis["lemmas"]}

    def distance(self, measure, analysis):
        if measure in self.scalars:
            value, reference = values(analysis)[measure], self.scalars[measure]
            if value is None or reference is None or reference[1] == 0:
                return None
            return abs(value - reference[0]) / reference[1]
        if measure == "pos":
            own = shares(Counter(analysis["tags"]))
            return jensen_shannon(own, self.shares) if own and self.shares else None
        distinct = set(analysis["lemmas"])
        return len(distinct - self.lemmas) / len(distinct) if distinct else None


def ranks(numbers):
    """Ranks from 1, ties given the mean of the ranks they span."""
    order = sorted(range(len(numbers)), key=numbers.__getitem__)
    found = [0.0] * len(numbers)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and numbers[order[end + 1]] == numbers[order[start]]:
            end += 1
        for index in order[start : end + 1]:
            found[index] = (start + end) / 2 + 1
        start = end + 1
    return found


def spearman(xs, ys):
    """Spearman's rank correlation, None when either side's ranks are constant (or under 2 pairs)."""
    if len(xs) < 2:
        return None
    try:
        return statistics.correlation(ranks(xs), ranks(ys))
    except statistics.StatisticsError:
        return None


def percentile(sorted_values, fraction):
    """The value at `fraction` of sorted values, interpolating linearly between neighbours."""
    position = fraction * (len(sorted_values) - 1)
    below = math.floor(position)
    above = min(below + 1, len(sorted_values) - 1)
    return sorted_values[below] + (sorted_values[above] - sorted_values[below]) * (position - below)


def bootstrap(xs, ys, resamples, seed):
    """(low, high): the percentile bootstrap interval of Spearman's rho over resampled pairs."""
    draw = random.Random(seed)
    count = len(xs)
    found = []
    for _ in range(resamples):
        picks = [draw.randrange(count) for _ in range(count)]
        rho = spearman([xs[pick] for pick in picks], [ys[pick] for pick in picks])
        if rho is not None:
            found.append(rho)
    if not found:
        return None, None
    found.sort()
    return percentile(found, (1 - LEVEL) / 2), percentile(found, (1 + LEVEL) / 2)


def relate(reference, inputs, features, resamples, seed):
    """(scalars, items): per measure the distances of the inputs ({"id", "prompt", "score"}), and
    Spearman's rho between distance and score with its bootstrap interval."""
    measures = [measure for feature in features for measure in MEASURES[feature]]
    items = []
    for test in inputs:
        analysis = analyse(test["prompt"])
        items.append({"item": test["id"], "score": test["score"],
                      **{f"relate/{measure}/distance": reference.distance(measure, analysis) for measure in measures}})
    scalars = {}
    for measure in measures:
        pairs = [(item[f"relate/{measure}/distance"], item["score"]) for item in items
                 if item[f"relate/{measure}/distance"] is not None and item["score"] is not None]
        distances, scores = [distance for distance, _ in pairs], [score for _, score in pairs]
        low, high = bootstrap(distances, scores, resamples, seed) if pairs else (None, None)
        scalars.update({f"relate/{measure}/spearman": spearman(distances, scores), f"relate/{measure}/low": low,
                        f"relate/{measure}/high": high, f"relate/{measure}/n": len(pairs)})
    return scalars, items


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(prog="python -m ablate_runners.relate", description=__doc__.split("\n")[0])
    add_dataset_arguments(flags, "data", required=True)
    flags.add_argument("--scores", required=True, help="a score stage's directory holding scores.jsonl, or the file")
    flags.add_argument("--features", nargs="+", choices=FEATURES)
    flags.add_argument("--resamples", type=int, help="bootstrap resamples of the items")
    flags.add_argument("--seed", type=int, help="for the bootstrap and --data-sample")
    flags.add_argument("--output", required=True)
    manifest.apply_defaults(flags, KIND)
    return flags


def main(arguments=None):
    options = parser().parse_args(arguments)
    try:
        if options.resamples <= 0:
            raise RunnerError(f"--resamples must be positive, not {options.resamples}")
        inputs = read_scores(options.scores)
        texts = texts_of(load_records(options, "data", seed=options.seed))
        reference = Reference([analyse(text) for text in texts])
        scalars, items = relate(reference, inputs, options.features, options.resamples, options.seed)
    except RunnerError as error:
        fail(str(error))
    write_metrics(options.output, scalars, items)


if __name__ == "__main__":
    main()
