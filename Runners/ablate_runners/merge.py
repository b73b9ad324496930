"""Writes a LoRA adapter (or a chain of them) merged into its base as a full model.

    python -m ablate_runners.merge --model PATH [--kind causal|reward] [--precision auto|bf16|fp16|fp32
        --attention sdpa|flash_attention_2|eager] --output DIR

--kind defaults to what the full model at the bottom of the chain is (its config's architecture).

Stages pass adapters to each other without merging; this is for a merged copy on disk, loadable
without PEFT. Writes DIR/model: the merged weights, in the dtype --precision loads (float32 on
CPU, bf16 by default on a GPU that has it), and the tokenizer.
"""

import argparse
import os

from . import manifest
from .common import RunnerError, fail
from .models import load_model, load_tokenizer, model_kind
from .precision import add_loading_arguments, announce, from_pretrained_options, loading_for

KIND = "merge"


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(description="Merge LoRA adapters into a full model.")
    flags.add_argument("--model", required=True, help="a LoRA adapter (its chain is followed to a full model) or a full model")
    flags.add_argument("--kind", choices=["causal", "reward"], help="causal LM or reward model (default: from the base model's config)")
    add_loading_arguments(flags, quantization=False)
    flags.add_argument("--seed", type=int, help="accepted for a uniform interface; merging is deterministic")
    flags.add_argument("--output", required=True, help="the merged model goes to OUTPUT/model")
    manifest.apply_defaults(flags, KIND)
    return flags


def main():
    arguments = parser().parse_args()
    try:
        loading = loading_for(arguments)
        directory = os.path.join(arguments.output, "model")
        tokenizer = load_tokenizer(arguments.model)
        announce(loading)
        model = load_model(arguments.model, from_pretrained_options(loading), kind=arguments.kind or model_kind(arguments.model))
        model.save_pretrained(directory)
        tokenizer.save_pretrained(directory)
    except RunnerError as error:
        fail(str(error))


if __name__ == "__main__":
    main()
