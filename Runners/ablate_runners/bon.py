"""Best-of-N sampling: for every prompt and pick, N candidates from the policy, ranked by a reward
model; the best is kept.

    python -m ablate_runners.bon --model PATH --reward-model PATH --prompts PATH [--prompts-format F
        --prompts-split S --prompts-subset C --prompts-sample N] [--max-prompts N] [--n 16]
        [--samples-per-prompt 1] [--precision auto|bf16|fp16|fp32 --quantization none|4bit|8bit
        --attention sdpa|flash_attention_2|eager] [--temperature 0.7 --max-new-tokens 64 --batch-size 8 --seed 0]
        [--placement shard|device_map] --output DIR

The candidates are sampled as `generate` samples (chat-formatted prompts, pure temperature
sampling, seeded); the reward model (a one-label sequence classifier) scores each chat-formatted
(prompt, candidate) conversation. Both models load as --precision, --quantization and --attention
say (precision.py). Writes DIR/samples/samples.jsonl (the chosen candidates),
DIR/samples/candidates.jsonl ({"prompt_id", "prompt", "pick", "candidates", "rewards", "chosen"}
per prompt and pick), DIR/metrics.json (bon/mean_reward of the chosen, bon/mean_candidate_reward)
and DIR/items.jsonl (bon/reward per prompt: the mean reward of its chosen candidates).

With ABLATE_CHECKPOINT_DIR, each batch's rankings (candidates, rewards, the chosen index) are kept
there as soon as they are scored (progress.ItemLog); a later attempt samples and scores only the
batches not done and writes the same outputs as an uninterrupted run. Several GPUs: --placement
(sampling.py says how).
"""

import argparse
import os
from statistics import fmean

from . import manifest
from .common import RunnerError, fail, write_metrics
from .models import check_local
from .precision import announce, loading_for
from .process_group import is_main_process, join
from .progress import checkpoint_directory
from .sampling import (add_sampling_arguments, check_arguments, load_policy, load_prompts, load_reward_model, per_batch,
                       reward_scores, sample, write_jsonl, write_samples)

KIND = "bon"


def rank(prompts, candidates, rewards, n, picks):
    """One record per prompt and pick: its N candidates, their rewards and the index of the best."""
    rankings = []
    for index, prompt in enumerate(prompts):
        for pick in range(picks):
            first = (index * picks + pick) * n
            scores = rewards[first : first + n]
            rankings.append({"prompt_id": prompt["id"], "prompt": prompt["prompt"], "pick": pick,
                             "candidates": [text for text, _ in candidates[index][pick * n : (pick + 1) * n]],
                             "rewards": scores, "chosen": max(range(n), key=scores.__getitem__)})
    return rankings


def best_of_n(policy, reward_model, prompts, first, arguments):
    """The rankings of one batch of prompts (`first`: the index of its first): N candidates per
    pick sampled from the policy, scored by the reward model (each a (model, tokenizer) pair),
    --batch-size * N pairs at a time."""
    n, picks = arguments.n, arguments.samples_per_prompt
    candidates = sample(*policy, [prompt["prompt"] for prompt in prompts], first, n * picks, arguments)
    pairs = [(prompt["prompt"], text) for prompt, group in zip(prompts, candidates) for text, _ in group]
    rewards = reward_scores(*reward_model, pairs, arguments.batch_size * n)
    return rank(prompts, candidates, rewards, n, picks)


def best_reward(ranking):
    return ranking["rewards"][ranking["chosen"]]


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(description="Best-of-N sampling ranked by a reward model.")
    add_sampling_arguments(flags)
    flags.add_argument("--reward-model", required=True, help="a sequence classifier with one label: a local directory or a hub id")
    flags.add_argument("--n", type=int, help="candidates per pick (N)")
    flags.add_argument("--samples-per-prompt", type=int, help="best-of-N picks per prompt")
    manifest.apply_defaults(flags, KIND)
    return flags


def main():
    arguments = parser().parse_args()
    try:
        check_arguments(arguments, "max_prompts", "max_new_tokens", "batch_size", "n", "samples_per_prompt")
        loading = loading_for(arguments)
        check_local(arguments.reward_model)
        prompts = load_prompts(arguments)
        announce(loading)
        join()
        reward_model = load_reward_model(arguments.reward_model, loading, placement=arguments.placement)
        policy = load_policy(arguments.model, loading, arguments.placement)
        batches = per_batch(prompts, arguments.batch_size, lambda first, batch: best_of_n(policy, reward_model, batch, first, arguments),
                            checkpoint_directory())
        rankings = [ranking for batch in batches for ranking in batch]
        if not is_main_process():
            return
        picks = arguments.samples_per_prompt
        by_prompt = [rankings[index * picks : (index + 1) * picks] for index in range(len(prompts))]
        write_samples(arguments.output, prompts, [[ranking["candidates"][ranking["chosen"]] for ranking in group] for group in by_prompt])
        write_jsonl(os.path.join(arguments.output, "samples", "candidates.jsonl"), rankings)
        items = [{"item": prompt["id"], "bon/reward": fmean(map(best_reward, group))} for prompt, group in zip(prompts, by_prompt)]
        rewards = [reward for ranking in rankings for reward in ranking["rewards"]]
        write_metrics(arguments.output, {"bon/mean_reward": fmean(map(best_reward, rankings)), "bon/mean_candidate_reward": fmean(rewards)},
                      items=items)
    except RunnerError as error:
        fail(str(error))


if __name__ == "__main__":
    main()
