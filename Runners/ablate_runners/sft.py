"""Supervised fine-tuning with TRL's SFTTrainer, LoRA through PEFT.

    python -m ablate_runners.sft --model PATH --data PATH [--data-format prompt-completion|messages]
        [--lora-r 8 --lora-alpha 16 --lora-dropout 0.05 --lora-target-modules q_proj v_proj]
        [--precision auto|bf16|fp16|fp32 --quantization none|4bit|8bit --attention sdpa|flash_attention_2|eager]
        [--gradient-checkpointing true|false]
        [--max-length N --learning-rate X --epochs E --max-steps S --batch-size B --seed S] --output DIR

The model loads and trains as --precision, --quantization (QLoRA, with LoRA only) and --attention
say, with gradient checkpointing when asked (training.py says how). Writes DIR/model (the
adapter, or the full model with --lora-enabled false), DIR/metrics.jsonl (the loss and learning
rate per step) and DIR/metrics.json (the final training loss).
"""

import argparse

from . import manifest
from .common import RunnerError, fail
from .data import load_records
from .models import load_tokenizer
from .precision import announce
from .training import add_training_arguments, callbacks, finish, load_trained_model, lora_config, train, trainer_options, training_loading


KIND = "sft"


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(description="Supervised fine-tuning (TRL SFTTrainer).")
    add_training_arguments(flags)
    manifest.apply_defaults(flags, KIND)
    return flags


def main():
    arguments = parser().parse_args()
    try:
        loading = training_loading(arguments)
        from trl import SFTConfig, SFTTrainer

        dataset = load_records(arguments, "data", seed=arguments.seed)
        tokenizer = load_tokenizer(arguments.model)
        announce(loading)
        model = load_trained_model(arguments, loading)
        options = trainer_options(arguments, loading)
        if arguments.max_length:
            options["max_length"] = arguments.max_length
        trainer = SFTTrainer(
            model=model, args=SFTConfig(**options), train_dataset=dataset, processing_class=tokenizer,
            peft_config=lora_config(arguments, "CAUSAL_LM"), callbacks=callbacks(arguments.output),
        )
        result = train(trainer)
        finish(trainer, arguments, arguments.model, {"train/loss": result.training_loss, "train/steps": result.global_step})
    except RunnerError as error:
        fail(str(error))


if __name__ == "__main__":
    main()
