"""What the training runners (sft, reward, dpo, ppo) share: their common flags, the LoRA
configuration, a callback that writes the metric series, and saving the result."""

import json
import os

from .common import strict_number, write_metrics
from .data import add_dataset_arguments
from .models import record_base


def add_training_arguments(parser, data=True):
    """The flags every training runner takes; their defaults are the manifest's, which the
    runner's parser() applies (--max-steps -1, no limit, is the manifest's absent value)."""
    parser.add_argument("--model", required=True, help="base model: a local directory (model or LoRA adapter) or a hub id")
    if data:
        add_dataset_arguments(parser, "data", required=True)
    parser.add_argument("--lora-r", type=int, default=None)
    parser.add_argument("--lora-alpha", type=float, default=None)
    parser.add_argument("--lora-dropout", type=float)
    parser.add_argument("--lora-target-modules", nargs="+", default=None)
    parser.add_argument("--lora-enabled", choices=["true", "false"], default=None)
    parser.add_argument("--max-length", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--epochs", type=float)
    parser.add_argument("--max-steps", type=int, default=-1)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--gradient-accumulation-steps", type=int)
    parser.add_argument("--warmup-ratio", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--output", required=True, help="the task's output directory; the model goes to OUTPUT/model")


def lora_config(arguments, task_type):
    """PEFT's LoRA configuration, or None for full fine-tuning."""
    if arguments.lora_enabled == "false" or arguments.lora_r is None:
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=arguments.lora_r, lora_alpha=arguments.lora_alpha or 2 * arguments.lora_r, lora_dropout=arguments.lora_dropout,
        target_modules=arguments.lora_target_modules or "all-linear", task_type=task_type,
    )


def trainer_options(arguments):
    """The TrainingArguments fields every trainer takes from the common flags."""
    options = dict(
        output_dir=os.path.join(arguments.output, "checkpoints"), num_train_epochs=arguments.epochs, max_steps=arguments.max_steps,
        per_device_train_batch_size=arguments.batch_size, gradient_accumulation_steps=arguments.gradient_accumulation_steps,
        warmup_steps=arguments.warmup_ratio, seed=arguments.seed, logging_steps=1, save_strategy="no", report_to="none",
        use_cpu=not has_accelerator(), disable_tqdm=True,
    )
    if arguments.learning_rate is not None:
        options["learning_rate"] = arguments.learning_rate
    return options


def has_accelerator():
    import torch

    return torch.cuda.is_available()


def metrics_callback(output):
    """A TrainerCallback appending every log as one strict JSON line to OUTPUT/metrics.jsonl."""
    from transformers import TrainerCallback

    class MetricsCallback(TrainerCallback):
        def __init__(self):
            self.path = os.path.join(output, "metrics.jsonl")
            os.makedirs(output, exist_ok=True)
            open(self.path, "w").close()

        def on_log(self, args, state, control, logs=None, **kwargs):
            numbers = {k: strict_number(float(v)) for k, v in (logs or {}).items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
            if not numbers:
                return
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"step": state.global_step, **numbers}) + "\n")

    return MetricsCallback()


def finish(trainer, arguments, base, scalars, items=None):
    """Saves the trained model (an adapter naming its base, or a full model) with its tokenizer
    to OUTPUT/model, the final scalars to OUTPUT/metrics.json and any per-item values to
    OUTPUT/items.jsonl."""
    directory = os.path.join(arguments.output, "model")
    trainer.save_model(directory)
    processing = getattr(trainer, "processing_class", None)
    if processing is not None:
        processing.save_pretrained(directory)
    record_base(directory, base)
    history = [entry for entry in trainer.state.log_history if "loss" in entry]
    if history:
        scalars.setdefault("train/loss", history[-1]["loss"])
    write_metrics(arguments.output, scalars, items)
