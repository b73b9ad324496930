"""What the sampling runners (generate, bon, ppo) share: their flags, reading and formatting the
prompts, seeded batched sampling kept batch by batch for a later attempt, reward-model scores and
writing samples.jsonl.

A prompt is formatted with the tokenizer's chat template (one user turn and the generation
prompt) when it has one, else used as it is; a (prompt, response) pair is scored by a one-label
sequence classifier on the formatted prompt, the response and EOS: the text the policy produced in
the context it saw, which is also what PPO's reward model scores.

Models load as the runner's --precision, --quantization and --attention say (precision.py). The
flags' defaults are the runner manifest's, which each runner's parser() applies.

Several GPUs (generate and bon): with --placement shard (ablate starts one process per GPU through
ablate_runners.launch), the batches are dealt out over the processes in turn, each on its own GPU,
and gathered in order on rank 0, which alone writes the outputs; since every batch is seeded from
its position, the samples are those one process would draw. Each process keeps its own item log
(rank-R under the checkpoint directory). With --placement device_map, one process places the
model's layers across every visible GPU (from_pretrained's device_map="auto"), for a model too
large for one.
"""

import json
import os

from .common import RunnerError
from .data import add_dataset_arguments, load_records, prompts_of
from .models import check_local, load_model, load_tokenizer
from .precision import add_loading_arguments, from_pretrained_options
from .process_group import gather, local_rank, rank, world_size
from .progress import ItemLog, item_key, position_seed

PLACEMENTS = ("shard", "device_map")


def add_prompt_arguments(parser):
    add_dataset_arguments(parser, "prompts", required=True)
    parser.add_argument("--max-prompts", type=int, default=None, help="use the first N prompts (all when absent)")


def add_generation_arguments(parser):
    parser.add_argument("--temperature", type=float, help="sampling temperature (0: greedy)")
    parser.add_argument("--max-new-tokens", type=int)


def add_sampling_arguments(parser):
    """The flags of generate and bon: the model and how it loads, the prompts, sampling, batching, seed, output."""
    parser.add_argument("--model", required=True, help="a local directory (model or LoRA adapter) or a hub id")
    add_loading_arguments(parser)
    add_prompt_arguments(parser)
    add_generation_arguments(parser)
    parser.add_argument("--batch-size", type=int, help="prompts per generation batch")
    parser.add_argument("--placement", choices=PLACEMENTS, default="shard",
                        help="with several GPUs: batches shared out over one process per GPU, or one model across them")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--output", required=True, help="the task's output directory; samples go to OUTPUT/samples")


def check_arguments(arguments, *positive):
    """Bad numbers fail before anything is loaded: the flags named must be positive (when
    given), the temperature not negative."""
    for name in positive:
        value = getattr(arguments, name)
        if value is not None and value <= 0:
            raise RunnerError(f"--{name.replace('_', '-')} must be positive, not {value}")
    if arguments.temperature < 0:
        raise RunnerError(f"--temperature must not be negative, not {arguments.temperature}")


def load_prompts(arguments):
    """[{"id", "prompt"}] of the prompts dataset, the first --max-prompts of them; the id is the
    record's `id` when it has one, else its index."""
    dataset = load_records(arguments, "prompts", seed=arguments.seed)
    if arguments.max_prompts is not None and arguments.max_prompts < len(dataset):
        dataset = dataset.select(range(arguments.max_prompts))
    ids = dataset["id"] if "id" in dataset.column_names else range(len(dataset))
    return [{"id": str(key), "prompt": prompt} for key, prompt in zip(ids, prompts_of(dataset))]


def format_prompt(tokenizer, prompt):
    if tokenizer.chat_template:
        return tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True)
    return prompt


def encode(tokenizer, texts):
    """Token ids of formatted texts; a chat template already holds its special tokens."""
    return tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=not tokenizer.chat_template)


def device():
    """This process's device: the GPU of its local rank, else the CPU."""
    import torch

    return f"cuda:{local_rank()}" if torch.cuda.is_available() else "cpu"


def placed(path, loading, placement, kind="causal"):
    """The model at `path` loaded as `loading` says, on this process's device, or with
    placement "device_map" across every visible GPU."""
    options = from_pretrained_options(loading)
    if placement == "device_map":
        return load_model(path, {**options, "device_map": "auto"}, kind=kind).eval()
    return load_model(path, options, kind=kind).to(device()).eval()


def load_policy(path, loading, placement="shard"):
    """The causal LM (adapter chains merged), loaded as `loading` says (precision.Loading) and
    placed as `placement` says, and its tokenizer, padding on the left for generation."""
    tokenizer = load_tokenizer(path)
    tokenizer.padding_side = "left"
    return placed(path, loading, placement), tokenizer


def load_reward_model(path, loading, pad_token_id=None, placement="shard"):
    """The reward model (a one-label sequence classifier), loaded and placed as `loading` and
    `placement` say, and its tokenizer, padding on the right. A missing local path fails before
    anything heavy is imported."""
    tokenizer = load_tokenizer(check_local(path))
    tokenizer.padding_side = "right"
    model = placed(path, loading, placement, kind="reward")
    model.config.pad_token_id = tokenizer.pad_token_id if pad_token_id is None else pad_token_id
    return model, tokenizer


def sample(model, tokenizer, prompts, first, count, arguments):
    """`count` continuations of every prompt of one batch as (text, tokens) pairs; `first` is the
    index of the batch's first prompt among all prompts. Each batch is seeded from --seed and
    `first` (progress.position_seed), not from the batches before it: the same model, prompts and
    flags give the same samples, and an attempt that continues after the batches done samples what
    an uninterrupted run would."""
    import torch

    torch.manual_seed(position_seed(arguments.seed, first))
    if arguments.temperature > 0:
        options = dict(do_sample=True, temperature=arguments.temperature, top_p=1.0, top_k=0, num_return_sequences=count)
    else:
        options = dict(do_sample=False)
    special = set(tokenizer.all_special_ids)
    inputs = encode(tokenizer, [format_prompt(tokenizer, prompt) for prompt in prompts]).to(model.device)
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=arguments.max_new_tokens, pad_token_id=tokenizer.pad_token_id, **options)
    continuations = output[:, inputs["input_ids"].shape[1] :].tolist()
    if not options["do_sample"]:
        continuations = [ids for ids in continuations for _ in range(count)]

    def decoded(ids):
        return tokenizer.decode(ids, skip_special_tokens=True), sum(token not in special for token in ids)

    return [list(map(decoded, continuations[start : start + count])) for start in range(0, len(continuations), count)]


def per_batch(prompts, batch_size, work, log_directory):
    """work(first, batch) for every batch of `batch_size` prompts ({"id", "prompt"}), `first` being
    the index of the batch's first prompt, as a list in order. Batches start at multiples of
    `batch_size`, and each result is kept in the item log in `log_directory` (when not None) as it
    ends (progress.ItemLog), so that a later attempt of the task computes only the batches not done.
    With several processes each takes every world_size()-th batch from its rank on, keeps its own
    log (`log_directory`/rank-R), and every process returns all the results, gathered in order."""
    starts = range(0, len(prompts), batch_size)
    mine = list(range(rank(), len(starts), world_size()))
    if world_size() > 1 and log_directory is not None:
        log_directory = os.path.join(log_directory, f"rank-{rank()}")
    batches = [(starts[index], prompts[starts[index] : starts[index] + batch_size]) for index in mine]
    log = ItemLog([[item_key(prompt["id"], prompt["prompt"]) for prompt in batch] for _, batch in batches], log_directory)
    results = log.finish(lambda position: work(*batches[position]))
    ordered = [None] * len(starts)
    for indices, values in gather((mine, results)):
        for index, value in zip(indices, values):
            ordered[index] = value
    return ordered


def reward_scores(model, tokenizer, pairs, batch_size, max_length=None):
    """The reward model's score (logits[:, 0]) of every (prompt, response) pair, on the prompt as
    the policy saw it (format_prompt) + response + EOS, cut to `max_length` tokens (the
    tokenizer's own limit when None): what PPO's reward model scores, and, for a tokenizer without
    a chat template, what TRL's reward trainer scores for preference pairs. Best-of-N, the judge
    and the score stage all score this way, so their rewards are comparable with PPO's."""
    import torch

    eos = tokenizer.eos_token or ""
    texts = [format_prompt(tokenizer, prompt) + response + ("" if response.endswith(eos) else eos) for prompt, response in pairs]
    scores = []
    for start in range(0, len(texts), batch_size):
        inputs = tokenizer(texts[start : start + batch_size], return_tensors="pt", padding=True, truncation=True, max_length=max_length,
                           add_special_tokens=not tokenizer.chat_template)
        with torch.no_grad():
            scores += model(**inputs.to(model.device)).logits[:, 0].float().tolist()
    return scores


def write_jsonl(path, records):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def write_samples(output, prompts, samples):
    """OUTPUT/samples/samples.jsonl: {"prompt_id", "prompt", "samples": [text, …]} per prompt."""
    write_jsonl(os.path.join(output, "samples", "samples.jsonl"),
                ({"prompt_id": prompt["id"], "prompt": prompt["prompt"], "samples": texts} for prompt, texts in zip(prompts, samples)))
