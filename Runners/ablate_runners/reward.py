"""Reward modelling with TRL's RewardTrainer (a one-label sequence classifier), LoRA through PEFT.

    python -m ablate_runners.reward --model PATH --data PATH [--data-format preference]
        [--lora-r 8 --lora-alpha 16 --lora-dropout 0.05 --lora-target-modules q_proj v_proj]
        [--precision auto|bf16|fp16|fp32 --quantization none|4bit|8bit --attention sdpa|flash_attention_2|eager]
        [--gradient-checkpointing true|false]
        [--max-length N --learning-rate X --epochs E --max-steps S --batch-size B --seed S]
        [--eval-data PATH [--eval-data-format preference ...]] --output DIR

--model is a sequence-classification model (or a LoRA adapter chain on one); --data holds
preference pairs (TRL prompt/chosen/rejected, HH-RLHF or SHP), and so does --eval-data, held-out
pairs that the trained model is scored on but never trained on. The model loads and trains as
--precision, --quantization (QLoRA, with LoRA only) and --attention say, with gradient
checkpointing when asked (training.py says how; under fp16 the trained score head stays float32).
Writes DIR/model (the adapter with the trained score head, or the full model with --lora-enabled
false), DIR/metrics.jsonl (the loss, accuracy and margin per step), DIR/metrics.json (the final
training loss and `reward/accuracy`, the share of training pairs the trained model scores chosen
above rejected; with --eval-data, `reward/eval_accuracy`, that share on the held-out pairs) and
DIR/items.jsonl (those outcomes per pair).
"""

import argparse

from . import manifest
from .common import RunnerError, fail
from .data import add_dataset_arguments, load_records
from .models import load_tokenizer
from .precision import announce
from .training import add_training_arguments, callbacks, finish, load_trained_model, lora_config, train, trainer_options, training_loading


KIND = "reward"


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(description="Reward modelling (TRL RewardTrainer).")
    add_training_arguments(flags)
    add_dataset_arguments(flags, "eval_data")
    flags.set_defaults(data_format="preference", eval_data_format="preference")
    manifest.apply_defaults(flags, KIND)
    return flags


def main():
    arguments = parser().parse_args()
    try:
        loading = training_loading(arguments)
        dataset = load_records(arguments, "data", seed=arguments.seed)
        held_out = load_records(arguments, "eval_data", seed=arguments.seed) if arguments.eval_data else None
        # Imported once the data is read, so that bad input fails before this slow import.
        from trl import RewardConfig, RewardTrainer

        tokenizer = load_tokenizer(arguments.model)
        announce(loading)
        model = load_trained_model(arguments, loading, kind="reward")
        options = trainer_options(arguments, loading)
        if arguments.max_length:
            options["max_length"] = arguments.max_length
        # RewardTrainer sets config.pad_token_id from the tokenizer (the classifier scores the last
        # non-pad token), and PEFT's SEQ_CLS task adds the `score` head to modules_to_save, so the
        # head is trained and saved with the adapter. The held-out pairs go in as its eval_dataset,
        # so that they are tokenised as the training pairs are; the trainer never evaluates on them
        # by itself (no eval_strategy).
        trainer = RewardTrainer(
            model=model, args=RewardConfig(**options), train_dataset=dataset, eval_dataset=held_out, processing_class=tokenizer,
            peft_config=lora_config(arguments, "SEQ_CLS"), callbacks=callbacks(arguments.output),
        )
        result = train(trainer)
        wins = pair_outcomes(trainer, trainer.train_dataset)
        scalars = {"train/loss": result.training_loss, "train/steps": result.global_step,
                   "reward/accuracy": sum(wins) / len(wins)}
        items = [{"item": index, "reward/accuracy": win} for index, win in enumerate(wins)]
        if held_out is not None:
            held_out_wins = pair_outcomes(trainer, trainer.eval_dataset)
            scalars["reward/eval_accuracy"] = sum(held_out_wins) / len(held_out_wins)
            items += [{"item": f"eval-{index}", "reward/eval_accuracy": win} for index, win in enumerate(held_out_wins)]
        finish(trainer, arguments, arguments.model, scalars, items)
    except RunnerError as error:
        fail(str(error))


def pair_outcomes(trainer, pairs):
    """1 for each pair whose chosen text the trained model scores above the rejected one, else 0;
    scored on the pairs exactly as the trainer tokenised them."""
    import torch

    model = trainer.model.eval()
    wins = []
    with torch.no_grad():
        for pair in pairs:
            batch = {key: value.to(model.device) for key, value in trainer.data_collator([pair]).items()}
            chosen, rejected = model(**batch).logits.squeeze(-1).tolist()
            wins.append(int(chosen > rejected))
    return wins


if __name__ == "__main__":
    main()
