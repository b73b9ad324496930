"""Pairwise win rate of a model's samples against a baseline: generalisation as Kirk et al. (2023)
measure it.

    python -m ablate_runners.judge --samples DIR --baseline PATH [--baseline-format F ...]
        [--judge reward-model --judge-model PATH | --judge endpoint --endpoint-model NAME]
        [--judge-prompt summary|instruction] [--precision auto|bf16|fp16|fp32
        --attention sdpa|flash_attention_2|eager] [--seed S] --output DIR

The baseline is another samples directory (matched by prompt_id, its first sample being the
reference) or a dataset of prompt/completion records (matched by prompt text, the completion being
the reference). Every sample of a prompt is judged against that prompt's reference; a prompt
without a reference is an error.

reward-model: the sample wins (1) when the reward model (--judge-model) scores prompt + sample
above prompt + reference, a tie counts 0.5, else 0. Scores within 1e-5 of each other (relative) are
a tie: the same text, batched beside other rows, scores a few units in the last place apart. The
text scored is the one best-of-N and PPO score: the prompt as the policy saw it (in the chat
template of the reward model's tokenizer, when it has one) + text + EOS. The reward model loads as --precision and --attention say (precision.py).
Its scores are reported too: judge/reward (the mean over every sample, scored as best-of-N scores
its candidates) and judge/reference_reward (the mean over the references).

endpoint: an OpenAI-compatible chat endpoint ranks the two outputs with the ranking prompt of the
paper (AlpacaEval's, and its adaptation to summaries). The base URL comes from
$ABLATE_JUDGE_BASE_URL or $OPENAI_BASE_URL (POST BASE/chat/completions), the key from
$ABLATE_JUDGE_API_KEY or $OPENAI_API_KEY. Which output is model_1 is drawn per pair, against
position bias, from a stream seeded per prompt by --seed and the prompt's position. An answer that
is not exactly a Python list ranking model_1 and model_2 as 1 and 2 is counted in
judge/unparseable and left out of the win rate. A failed request is retried once (connection
errors, 429 and 5xx), then ends the run.

Writes metrics.json (judge/win_rate over all judged samples, judge/judged, judge/unparseable; with a
reward model, judge/reward and judge/reference_reward) and items.jsonl (per prompt, the mean win
of its judged samples as judge/win_rate and, with a reward model, their mean reward as judge/reward).

With ABLATE_CHECKPOINT_DIR, each prompt's verdicts are kept there as soon as they are in
(progress.ItemLog); a later attempt judges only the prompts not done (the endpoint is not asked
again for the others) and writes the same outputs as an uninterrupted run.
"""

import argparse
import ast
import json
import math
import os
import random
import time
import urllib.error
import urllib.request

from . import manifest
from .common import RunnerError, fail, read_samples, write_metrics
from .data import add_dataset_arguments, load_records
from .precision import add_loading_arguments, announce, loading_for
from .progress import ItemLog, checkpoint_directory, item_key, position_seed
from .sampling import load_reward_model, reward_scores

KIND = "judge"
SYSTEM = "You are a helpful assistant, that ranks models by the quality of their answers."
RANKING_REQUEST = """Then return a list of the model names and ranks, i.e., produce the following output:
[
    {{'model': <model-name>, 'rank': <model-rank>}},
    {{'model': <model-name>, 'rank': <model-rank>}}
]

Your response must be a valid Python dictionary and should contain nothing else because we will directly execute it in Python. Please provide the ranking that the majority of humans would give."""
PROMPTS = {
    "summary": """Which of the following summaries does a better job of summarizing the most important points in the given news article, without including unimportant or irrelevant details? A good summary is both precise and concise.

Post: \"\"\"{instruction}\"\"\"

Summary A:
{{
    "model": "model_1",
    "summary": \"\"\"{output_1}\"\"\"
}}

Summary B:
{{
    "model": "model_2",
    "summary": \"\"\"{output_2}\"\"\"
}}

Now please rank the models by the quality of their summaries, so that the model with rank 1 has the best summary. """ + RANKING_REQUEST,
    "instruction": """I want you to create a leaderboard of different of large-language models. To do so, I will give you the instructions (prompts) given to the models, and the responses of two models. Please rank the models based on which responses would be preferred by humans. All inputs and outputs should be python dictionaries.

Here is the prompt:
{{
    "instruction": \"\"\"{instruction}\"\"\",
}}

Here are the outputs of the models:
[
    {{
        "model": "model_1",
        "answer": \"\"\"{output_1}\"\"\"
    }},
    {{
        "model": "model_2",
        "answer": \"\"\"{output_2}\"\"\"
    }}
]

Now please rank the models by the quality of their answers, so that the model with rank 1 has the best output. """ + RANKING_REQUEST,
}
REQUEST_TIMEOUT = 300
RETRY_WAIT = 2


def parse_ranking(answer):
    """{"model_1": rank, "model_2": rank} from the judge's answer, or None unless the list in it
    (from its first '[' to its last ']') is exactly two {'model', 'rank'} dicts ranking model_1
    and model_2 as 1 and 2."""
    if not isinstance(answer, str) or "[" not in answer:
        return None
    try:
        ranking = ast.literal_eval(answer[answer.index("[") : answer.rindex("]") + 1])
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if not isinstance(ranking, list) or len(ranking) != 2:
        return None
    def well_formed(entry):
        return isinstance(entry, dict) and set(entry) == {"model", "rank"} and isinstance(entry["model"], str) and type(entry["rank"]) is int

    if not all(well_formed(entry) for entry in ranking):
        return None
    ranks = {entry["model"]: entry["rank"] for entry in ranking}
    if set(ranks) != {"model_1", "model_2"} or sorted(ranks.values()) != [1, 2]:
        return None
    return ranks


class RewardScorer:
    """Scores prompt + text with a reward model (a one-label sequence classifier), as best-of-N does."""

    batch_size = 16

    def __init__(self, path, loading):
        announce(loading)
        self.model, self.tokenizer = load_reward_model(path, loading)

    def __call__(self, prompts, texts):
        return reward_scores(self.model, self.tokenizer, list(zip(prompts, texts)), self.batch_size)


class RewardModelJudge:
    def __init__(self, path, loading):
        if not path:
            raise RunnerError("reward-model judging needs --judge-model (a reward model)")
        self.score = RewardScorer(path, loading)

    def verdict(self, prompt, samples, reference, position):
        """Per sample, 1, 0.5 (a tie) or 0 and its reward; and the reference's reward. `position`
        (the prompt's index) plays no part in a score."""
        reference_score, *scores = self.score([prompt] * (len(samples) + 1), [reference, *samples])
        wins = [0.5 if math.isclose(score, reference_score, rel_tol=1e-5) else float(score > reference_score) for score in scores]
        return {"wins": wins, "rewards": scores, "reference_reward": reference_score}


class EndpointJudge:
    def __init__(self, model, prompt, seed):
        base = os.environ.get("ABLATE_JUDGE_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
        if not base:
            raise RunnerError("endpoint judging needs the endpoint's base URL in ABLATE_JUDGE_BASE_URL or OPENAI_BASE_URL")
        if not model:
            raise RunnerError("endpoint judging needs --endpoint-model (the model name at the endpoint)")
        self.url = base.rstrip("/") + "/chat/completions"
        self.key = os.environ.get("ABLATE_JUDGE_API_KEY") or os.environ.get("OPENAI_API_KEY")
        self.model = model
        self.template = PROMPTS[prompt]
        self.seed = seed

    def verdict(self, prompt, samples, reference, position):
        """The wins of the samples (see wins)."""
        return {"wins": self.wins(prompt, samples, reference, position)}

    def wins(self, prompt, samples, reference, position):
        """1 or 0 per sample, None where the answer could not be parsed. The sides are drawn from
        a stream seeded by the seed and `position` (the prompt's index), so each prompt's draws are
        the same whichever prompts were judged before it."""
        sides = random.Random(position_seed(self.seed, position))
        wins = []
        for sample in samples:
            sample_first = sides.random() < 0.5
            outputs = (sample, reference) if sample_first else (reference, sample)
            ranks = parse_ranking(self.ask(prompt, *outputs))
            wins.append(None if ranks is None else float(ranks["model_1" if sample_first else "model_2"] == 1))
        return wins

    def ask(self, instruction, output_1, output_2):
        message = self.template.format(instruction=instruction, output_1=output_1, output_2=output_2)
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": message}]
        body = {"model": self.model, "temperature": 0, "messages": messages}
        headers = {"Content-Type": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        request = urllib.request.Request(self.url, data=json.dumps(body).encode(), headers=headers, method="POST")
        payload = self.send(request)
        try:
            return payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise RunnerError(f"judge endpoint {self.url} answered without choices[0].message") from None

    def send(self, request, retry=True):
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            detail = " ".join(error.read().decode(errors="replace").split())[:200]
            problem, transient = f"HTTP {error.code} {detail or error.reason}", error.code == 429 or error.code >= 500
        except ValueError:
            raise RunnerError(f"judge endpoint {self.url} answered with something other than JSON") from None
        except OSError as error:
            problem, transient = str(getattr(error, "reason", error)), True
        if not (retry and transient):
            raise RunnerError(f"judge endpoint {self.url}: {problem}")
        time.sleep(RETRY_WAIT)
        return self.send(request, retry=False)


def references(arguments, seed):
    """prompt_id -> reference when the baseline is samples, else prompt text -> reference."""
    path = arguments.baseline
    if os.path.isfile(os.path.join(path, "samples.jsonl")) or os.path.basename(path) == "samples.jsonl":
        return "id", {prompt["id"]: prompt["samples"][0] for prompt in read_samples(path) if prompt["samples"]}
    dataset = load_records(arguments, "baseline", seed=seed)
    if not {"prompt", "completion"} <= set(dataset.column_names):
        raise RunnerError(f"{path}: a baseline dataset needs prompt and completion columns; it has {sorted(dataset.column_names)}")
    found = {}
    for record in dataset:
        found.setdefault(record["prompt"], record["completion"])
    return "prompt", found


def matched(prompts, key, found):
    """(prompt, reference) pairs; every prompt must have a reference."""
    missing = [prompt["id"] for prompt in prompts if prompt[key] not in found]
    if missing:
        raise RunnerError(
            f"{len(missing)} of {len(prompts)} prompts have no reference in the baseline (matched by {key}), such as {missing[0]!r}")
    return [(prompt, found[prompt[key]]) for prompt in prompts]


def verdicts(pairs, referee, log_directory):
    """Each prompt's verdict ({"wins": one per sample, None where unparseable}, with "rewards" and
    "reference_reward" from a reward model), judged against its reference and kept prompt by prompt
    in the item log in `log_directory` (when not None), so that a later attempt judges only the rest."""
    log = ItemLog([[item_key(prompt["id"], prompt["prompt"], prompt["samples"], reference)] for prompt, reference in pairs], log_directory)
    return log.finish(lambda index: referee.verdict(pairs[index][0]["prompt"], pairs[index][0]["samples"], pairs[index][1], position=index))


def mean(values):
    return sum(values) / len(values) if values else None


def judge(pairs, referee, log_directory=None):
    """(scalars, items): each prompt's samples judged against its reference (see verdicts)."""
    items, judged, unparseable, rewards, reference_rewards = [], [], 0, [], []
    for (prompt, _), verdict in zip(pairs, verdicts(pairs, referee, log_directory)):
        parsed = [win for win in verdict["wins"] if win is not None]
        unparseable += len(verdict["wins"]) - len(parsed)
        judged += parsed
        item = {"item": prompt["id"], "judge/win_rate": mean(parsed)}
        if "rewards" in verdict:
            rewards += verdict["rewards"]
            reference_rewards.append(verdict["reference_reward"])
            item["judge/reward"] = mean(verdict["rewards"])
        items.append(item)
    scalars = {"judge/win_rate": mean(judged), "judge/judged": len(judged), "judge/unparseable": unparseable}
    if reference_rewards:
        scalars.update({"judge/reward": mean(rewards), "judge/reference_reward": mean(reference_rewards)})
    return scalars, items


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(prog="python -m ablate_runners.judge", description=__doc__.split("\n")[0])
    flags.add_argument("--samples", required=True, help="a directory holding samples.jsonl, or the file")
    add_dataset_arguments(flags, "baseline", required=True)
    flags.add_argument("--judge", choices=["reward-model", "endpoint"])
    flags.add_argument("--judge-model", help="the reward model that judges (--judge reward-model)")
    flags.add_argument("--judge-prompt", choices=sorted(PROMPTS), help="the ranking prompt (--judge endpoint)")
    flags.add_argument("--endpoint-model", help="the model name at the endpoint (--judge endpoint)")
    add_loading_arguments(flags, quantization=False)
    flags.add_argument("--seed", type=int, help="draws which side the sample is shown on (--judge endpoint)")
    flags.add_argument("--output", required=True)
    manifest.apply_defaults(flags, KIND)
    return flags


def main(arguments=None):
    options = parser().parse_args(arguments)
    try:
        pairs = matched(read_samples(options.samples), *references(options, options.seed))
        if options.judge == "endpoint":
            referee = EndpointJudge(options.endpoint_model, options.judge_prompt, options.seed)
        else:
            referee = RewardModelJudge(options.judge_model, loading_for(options))
        scalars, items = judge(pairs, referee, checkpoint_directory())
    except RunnerError as error:
        fail(str(error))
    write_metrics(options.output, scalars, items)


if __name__ == "__main__":
    main()
