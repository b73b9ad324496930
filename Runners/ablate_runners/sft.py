"""Supervised fine-tuning with TRL's SFTTrainer, LoRA through PEFT.

    python -m ablate_runners.sft --model PATH --data PATH [--data-format prompt-completion|messages]
        [--lora-r 8 --lora-alpha 16 --lora-dropout 0.05 --lora-target-modules q_proj v_proj]
        [--max-length N --learning-rate X --epochs E --max-steps S --batch-size B --seed S] --output DIR

Writes DIR/model (the adapter, or the full model with --lora-enabled false), DIR/metrics.jsonl
(the loss and learning rate per step) and DIR/metrics.json (the final training loss).
"""

import argparse

from . import manifest
from .common import RunnerError, fail
from .data import load_records
from .models import load_model, load_tokenizer
from .training import add_training_arguments, callbacks, finish, lora_config, train, trainer_options


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
        from trl import SFTConfig, SFTTrainer

        dataset = load_records(arguments, "data", seed=arguments.seed)
        tokenizer = load_tokenizer(arguments.model)
        model = load_model(arguments.model)
        options = trainer_options(arguments)
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
