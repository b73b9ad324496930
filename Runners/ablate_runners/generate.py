"""K samples per prompt from a model (a full model or a LoRA adapter chain, merged in memory).

    python -m ablate_runners.generate --model PATH --prompts PATH [--prompts-format F --prompts-split S
        --prompts-subset C --prompts-sample N] [--max-prompts N] [--samples-per-prompt 4]
        [--precision auto|bf16|fp16|fp32 --quantization none|4bit|8bit --attention sdpa|flash_attention_2|eager]
        [--temperature 0.7 --max-new-tokens 64 --batch-size 8 --seed 0] [--placement shard|device_map] --output DIR

The model loads as --precision, --quantization and --attention say (precision.py). Prompts are chat-formatted when the tokenizer has a chat template. Sampling is pure temperature
sampling (top-p 1, no top-k; temperature 0 is greedy), --batch-size prompts at a time, each batch
seeded from --seed and its position: the same inputs give the same samples. Writes
DIR/samples/samples.jsonl ({"prompt_id", "prompt", "samples": [...]} per prompt, only the generated
text) and DIR/metrics.json (generate/prompts, generate/samples, generate/mean_length in tokens).

With ABLATE_CHECKPOINT_DIR, each batch's samples are kept there as soon as they are drawn
(progress.ItemLog); a later attempt samples only the batches not done and writes the same outputs
as an uninterrupted run. Several GPUs: --placement (sampling.py says how).
"""

import argparse

from . import manifest
from .common import RunnerError, fail, write_metrics
from .precision import announce, loading_for
from .process_group import is_main_process, join
from .progress import checkpoint_directory
from .sampling import add_sampling_arguments, check_arguments, load_policy, load_prompts, per_batch, sample, write_samples

KIND = "generate"


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(description="K samples per prompt.")
    add_sampling_arguments(flags)
    flags.add_argument("--samples-per-prompt", type=int, help="samples per prompt (K)")
    manifest.apply_defaults(flags, KIND)
    return flags


def main():
    arguments = parser().parse_args()
    try:
        check_arguments(arguments, "max_prompts", "max_new_tokens", "batch_size", "samples_per_prompt")
        loading = loading_for(arguments)
        prompts = load_prompts(arguments)
        announce(loading)
        join()
        model, tokenizer = load_policy(arguments.model, loading, arguments.placement)

        def sampled(first, batch):
            return sample(model, tokenizer, [prompt["prompt"] for prompt in batch], first, arguments.samples_per_prompt, arguments)

        batches = per_batch(prompts, arguments.batch_size, sampled, checkpoint_directory())
        samples = [group for batch in batches for group in batch]
        if not is_main_process():
            return
        write_samples(arguments.output, prompts, [[text for text, _ in group] for group in samples])
        lengths = [length for group in samples for _, length in group]
        write_metrics(arguments.output, {
            "generate/prompts": len(prompts), "generate/samples": len(lengths), "generate/mean_length": sum(lengths) / len(lengths),
        })
    except RunnerError as error:
        fail(str(error))


if __name__ == "__main__":
    main()
