"""Direct preference optimisation with TRL's DPOTrainer, LoRA through PEFT.

    python -m ablate_runners.dpo --model PATH --data PATH [--data-format preference] [--ref-model PATH]
        [--beta 0.1] [--lora-r 8 --lora-alpha 16 --lora-dropout 0.05 --lora-target-modules q_proj v_proj]
        [--precision auto|bf16|fp16|fp32 --quantization none|4bit|8bit --attention sdpa|flash_attention_2|eager]
        [--gradient-checkpointing true|false]
        [--max-length N --learning-rate X --epochs E --max-steps S --batch-size B --seed S] --output DIR

--data holds preference pairs (TRL prompt/chosen/rejected, HH-RLHF or SHP). Without --ref-model
the reference is --model itself (with LoRA, the policy with its adapter disabled). The policy and
the reference load as --precision, --quantization (QLoRA, with LoRA only) and --attention say, and
the policy trains with gradient checkpointing when asked (training.py says how). Writes DIR/model
(the adapter, or the full model with --lora-enabled false), DIR/metrics.jsonl (the loss, implicit
rewards, accuracies and margins per step) and DIR/metrics.json (the final training loss,
`rewards/accuracies` and `rewards/margins`).
"""

import argparse

from . import manifest
from .common import RunnerError, fail
from .data import load_records
from .models import load_model, load_tokenizer
from .precision import announce, from_pretrained_options
from .training import add_training_arguments, callbacks, finish, load_trained_model, lora_config, train, trainer_options, training_loading

KIND = "dpo"
FINAL_METRICS = ("rewards/accuracies", "rewards/margins")


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(description="Direct preference optimisation (TRL DPOTrainer).")
    add_training_arguments(flags)
    flags.set_defaults(data_format="preference")
    flags.add_argument("--ref-model", default=None, help="reference model (default: --model)")
    flags.add_argument("--beta", type=float)
    manifest.apply_defaults(flags, KIND)
    return flags


def main():
    arguments = parser().parse_args()
    try:
        loading = training_loading(arguments)
        dataset = load_records(arguments, "data", seed=arguments.seed)
        # Imported once the data is read, so that bad input fails before this slow import.
        from trl import DPOConfig, DPOTrainer

        tokenizer = load_tokenizer(arguments.model)
        announce(loading)
        model = load_trained_model(arguments, loading)
        ref_model = load_model(arguments.ref_model, from_pretrained_options(loading)) if arguments.ref_model else None
        options = trainer_options(arguments, loading)
        if arguments.max_length:
            options["max_length"] = arguments.max_length
        trainer = DPOTrainer(
            model=model, ref_model=ref_model, args=DPOConfig(beta=arguments.beta, **options), train_dataset=dataset,
            processing_class=tokenizer, peft_config=lora_config(arguments, "CAUSAL_LM"),
            callbacks=callbacks(arguments.output),
        )
        result = train(trainer)
        scalars = {"train/loss": result.training_loss, "train/steps": result.global_step}
        for name in FINAL_METRICS:
            values = [entry[name] for entry in trainer.state.log_history if name in entry]
            if values:
                scalars[name] = values[-1]
        finish(trainer, arguments, arguments.model, scalars)
    except RunnerError as error:
        fail(str(error))


if __name__ == "__main__":
    main()
