#!/usr/bin/env python3
"""Checks that a run of Experiments/quickstart.yaml shows the effects it is built to show, from the
run's index, so that a change that stops a stage from learning fails CI.

    Scripts/check-quickstart-effects.py RUN_DIR

Standard library only. Every check compares per-seed values, paired by seed where both sides come
from that seed's models (PPO starts from the same seed's SFT model), and passes when the mean
difference over the seeds is both above a floor and above twice its standard deviation: a
difference that a seed's noise could explain does not pass, nor does one too small to mean the
stage learnt. Prints one line per check, with the numbers; exits 1 when any fails.
"""

import json
import sqlite3
import statistics
import sys
from collections import defaultdict


class Index:
    """The metrics of a run's index, by stage and variant."""

    def __init__(self, path):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.variants = {name: json.loads(axes) for name, axes in self.db.execute("select name, axisValues from variant")}
        self.tasks = defaultdict(dict)
        for variant, stage, task in self.db.execute("select variant, stage, taskId from variantTask"):
            self.tasks[stage][variant] = task

    def by_seed(self, stage, name, **axes):
        """{seed: value} of the metric `name` of `stage` in the variants with these axis values."""
        values = {}
        for variant, task in self.tasks[stage].items():
            if all(self.variants[variant].get(axis) == value for axis, value in axes.items()):
                row = self.db.execute("select value from metric where taskId = ? and name = ?", (task, name)).fetchone()
                if row is not None and row[0] is not None:
                    values[self.variants[variant]["seed"]] = row[0]
        return values

    def series_by_seed(self, stage, name, **axes):
        """{seed: [value per step]} of the series `name` of `stage`."""
        values = {}
        for variant, task in self.tasks[stage].items():
            if all(self.variants[variant].get(axis) == value for axis, value in axes.items()):
                rows = self.db.execute("select value from metricPoint where taskId = ? and name = ? order by step", (task, name))
                values[self.variants[variant]["seed"]] = [value for (value,) in rows if value is not None]
        return values


def check(claim, differences, floor):
    """Whether the mean of the per-seed differences exceeds `floor` and twice their sd; says so."""
    values = list(differences.values())
    if len(values) < 2:
        print(f"FAIL  {claim}: {len(values)} seed(s) in the index, need 2 or more")
        return False
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    ok = mean > floor and mean > 2 * sd
    print(f"{'ok  ' if ok else 'FAIL'}  {claim}: {mean:+.3f} ± {sd:.3f} over {len(values)} seeds (needs > {floor:g} and > 2 sd)")
    return ok


def paired(better, worse):
    """better − worse per seed, for the seeds both have."""
    return {seed: better[seed] - worse[seed] for seed in better.keys() & worse.keys()}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check-quickstart-effects.py RUN_DIR")
    index = Index(f"{sys.argv[1].rstrip('/')}/index.sqlite")
    results = []

    # SFT learns: its loss falls, and it picks the right summary where the base model guesses.
    losses = index.series_by_seed("sft", "loss", policy="sft", prompts="prompts-id")
    results.append(check("SFT's loss falls (first 3 steps' mean − last 50 steps')",
          {seed: statistics.fmean(series[:3]) - statistics.fmean(series[-50:]) for seed, series in losses.items() if len(series) >= 53}, 0.05))
    base = index.by_seed("eval", "quickstart_mc/acc", policy="base")
    sft = index.by_seed("eval", "quickstart_mc/acc", policy="sft", prompts="prompts-id")
    base_accuracy = next(iter(base.values()), float("nan"))
    results.append(check(f"SFT's multiple-choice accuracy − the base model's ({base_accuracy:.3f})",
                         {seed: value - base_accuracy for seed, value in sft.items()}, 0.2))

    # The reward model learns the preference: well above chance on pairs it never saw.
    held_out = index.by_seed("reward", "reward/eval_accuracy", policy="sft", prompts="prompts-id")
    results.append(check("reward model's held-out accuracy − 0.5", {seed: value - 0.5 for seed, value in held_out.items()}, 0.25))

    names = {"bon": "best-of-N", "ppo": "PPO", "dpo": "DPO"}
    for prompts in ("prompts-id", "prompts-ood"):
        # Best-of-N: the best of N candidates scores above a single candidate.
        best = index.by_seed("bon", "bon/mean_reward", policy="bon", prompts=prompts)
        single = index.by_seed("bon", "bon/mean_candidate_reward", policy="bon", prompts=prompts)
        results.append(check(f"best-of-N's reward − one candidate's ({prompts})", paired(best, single), 0.5))
        # Every policy built on the reward model raises the reward over SFT's samples.
        rewards = {policy: index.by_seed("judge", "judge/reward", policy=policy, prompts=prompts) for policy in ("sft", "bon", "ppo", "dpo")}
        for policy in ("bon", "ppo", "dpo"):
            results.append(check(f"{names[policy]}'s reward − SFT's ({prompts})", paired(rewards[policy], rewards["sft"]), 0.5))

    # PPO trades diversity for reward: its samples of one prompt are more alike than SFT's.
    distinct = {policy: index.by_seed("diversity", "per_input/distinct_n", policy=policy, prompts="prompts-id") for policy in ("sft", "ppo")}
    results.append(check("SFT's per-input distinct-n − PPO's (prompts-id)", paired(distinct["sft"], distinct["ppo"]), 0.05))

    if not all(results):
        print(f"check-quickstart-effects: {results.count(False)} of the quickstart's {len(results)} effects did not show", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
