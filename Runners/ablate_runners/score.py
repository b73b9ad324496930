"""The reward model's score of every sample of a `generate` or `bon` stage.

    python -m ablate_runners.score --samples DIR --reward-model PATH [--precision auto|bf16|fp16|fp32
        --attention sdpa|flash_attention_2|eager] [--batch-size 8 --max-length 512 --seed 0] --output DIR

The reward model (a one-label sequence classifier, adapter chains merged) scores each (prompt,
sample) pair as best-of-N and the judge do (sampling.reward_scores: prompt + sample + EOS, cut to
--max-length tokens), --batch-size pairs at a time; it loads as --precision and --attention say
(precision.py). Scoring is deterministic: --seed is accepted for a uniform interface.

Writes OUTPUT/scores/scores.jsonl ({"prompt_id", "prompt", "samples", "scores", "score"} per prompt:
one score per sample and their mean; the stage's `scores` output, which `relate` reads), metrics.json (score/mean and score/std, the mean and population standard
deviation over all samples; prompts; samples) and items.jsonl (score/mean per prompt: the mean score
of its samples, null for a prompt without samples).
"""

import argparse
import json
import os
import statistics

from . import manifest
from .common import RunnerError, fail, read_samples, write_atomically, write_metrics
from .models import check_local
from .precision import add_loading_arguments, announce, loading_for
from .sampling import load_reward_model, reward_scores

KIND = "score"


def scored(prompts, scores):
    """One record per prompt ({"id", "prompt", "samples"}), with its samples' scores (`scores` holds
    every prompt's in order) and their mean."""
    records, start = [], 0
    for prompt in prompts:
        own = scores[start : start + len(prompt["samples"])]
        start += len(own)
        records.append({"prompt_id": prompt["id"], "prompt": prompt["prompt"], "samples": prompt["samples"], "scores": own,
                        "score": statistics.fmean(own) if own else None})
    return records


def summary(records):
    """(scalars, items) of the scored prompts."""
    every = [score for record in records for score in record["scores"]]
    scalars = {"score/mean": statistics.fmean(every) if every else None, "score/std": statistics.pstdev(every) if every else None,
               "prompts": len(records), "samples": len(every)}
    return scalars, [{"item": record["prompt_id"], "score/mean": record["score"]} for record in records]


def write_scores(directory, records):
    os.makedirs(directory, exist_ok=True)
    write_atomically(os.path.join(directory, "scores.jsonl"), "".join(json.dumps(record) + "\n" for record in records))


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(prog="python -m ablate_runners.score", description=__doc__.split("\n")[0])
    flags.add_argument("--samples", required=True, help="a directory holding samples.jsonl, or the file")
    flags.add_argument("--reward-model", required=True, help="a sequence classifier with one label: a local directory or a hub id")
    add_loading_arguments(flags, quantization=False)
    flags.add_argument("--batch-size", type=int, help="pairs scored at a time")
    flags.add_argument("--max-length", type=int, help="tokens of prompt + sample scored (the rest is cut)")
    flags.add_argument("--seed", type=int, help="accepted for a uniform interface; scoring is deterministic")
    flags.add_argument("--output", required=True, help="the task's output directory; the scores go to OUTPUT/scores")
    manifest.apply_defaults(flags, KIND)
    return flags


def main(arguments=None):
    options = parser().parse_args(arguments)
    try:
        for name in ("batch_size", "max_length"):
            if getattr(options, name) <= 0:
                raise RunnerError(f"--{name.replace('_', '-')} must be positive, not {getattr(options, name)}")
        prompts = read_samples(options.samples)
        loading = loading_for(options)
        check_local(options.reward_model)
        announce(loading)
        model, tokenizer = load_reward_model(options.reward_model, loading)
        pairs = [(prompt["prompt"], sample) for prompt in prompts for sample in prompt["samples"]]
        records = scored(prompts, reward_scores(model, tokenizer, pairs, options.batch_size, options.max_length))
    except RunnerError as error:
        fail(str(error))
    write_scores(os.path.join(options.output, "scores"), records)
    write_metrics(options.output, *summary(records))


if __name__ == "__main__":
    main()
