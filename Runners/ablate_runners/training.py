"""What the training runners (sft, reward, dpo, ppo) share: their common flags, the LoRA
configuration, loading the model to train, checkpoints to resume from, a callback that writes the
metric series, and saving the result.

Precision and memory: the model loads as --precision, --quantization and --attention say
(precision.py), and the trainer computes in the loaded dtype (bf16=True or fp16=True in its
config). TRL's configs default to bf16 (even on CPU) and to gradient checkpointing, so both are
always set: fp32 turns the mixed-precision flags off. LoRA adapters train in float32 on a bf16 or
fp16 base: PEFT's get_peft_model upcasts fp16/bf16 adapter weights by default
(autocast_adapter_dtype=True); on a quantized base TRL 1.16's trainers then put them in bf16, as
QLoRA does. Under fp16 every other weight the trainer updates (all of them in full fine-tuning, the
reward model's score head) is kept in float32 too: the gradient scaler cannot unscale float16
gradients. --quantization (QLoRA) needs LoRA: the base is loaded through bitsandbytes and prepared
with peft.prepare_model_for_kbit_training (quantized weights frozen, the others in float32).
--gradient-checkpointing true sets gradient_checkpointing (non-reentrant) in the trainer's config;
TRL 1.16's trainers then make a PEFT model's input embeddings require gradients themselves
(enable_input_require_grads), which checkpointed LoRA layers need.

Checkpoints: ablate names a directory that outlives the attempt (ABLATE_CHECKPOINT_DIR), how often
to save (ABLATE_CHECKPOINT_EVERY: N optimizer steps, or Ns seconds) and how many to keep
(ABLATE_CHECKPOINT_KEEP). Each checkpoint-N (model, optimizer, scheduler, RNG states and the
trainer's state, as the Trainer saves them) counts once it holds the marker written after the save;
train() continues from the newest that does, and the metric series continues from its log history.
SIGTERM (a local time limit, a cancel) or SIGUSR2 (Slurm's warning before a job's time limit, from
`--signal=B:USR2@120`) makes the runner save a checkpoint at the next step's end and exit with
CHECKPOINTED_EXIT, so that the next attempt continues from there.

Trackers: with ABLATE_TRACKING set, the trainer reports to W&B, MLflow and TensorBoard as well
(tracking.py); without it, to none.

Several processes (ablate_runners.launch, one per GPU): the Trainer shards the data over the ranks
and, as --distributed-strategy says, keeps a replica per rank (ddp), shards weights, gradients and
optimizer states (fsdp: full_shard auto_wrap, --distributed-config an FSDP config file) or hands the
model to DeepSpeed (--distributed-config its JSON, required). Only rank 0 writes the model's
tokenizer and base record, the metric series and the final metrics (the Trainer itself saves the
model and checkpoints from rank 0, gathering shards as the strategy needs). A signal reaches every
rank; the ranks agree at each step's end whether any was signalled, so that all of them save the
same checkpoint and stop at the same step, and they exit together once it is complete.
"""

import json
import os
import signal
import sys
import time
from collections import namedtuple

from .common import RunnerError, strict_number, write_metrics
from .data import add_dataset_arguments
from .models import load_model, record_base
from .precision import add_loading_arguments, from_pretrained_options, loading_for, mixed_precision_flags
from .process_group import any_rank, is_main_process, wait_for_every_rank, world_size
from .tracking import reporting

STRATEGIES = ("ddp", "fsdp", "deepspeed")
# Non-reentrant checkpointing, which PyTorch recommends and which needs no input gradients.
CHECKPOINTING_KWARGS = {"use_reentrant": False}


def add_training_arguments(parser, data=True, quantization=True):
    """The flags every training runner takes (--quantization where it can train a quantized base);
    their defaults are the manifest's, which the runner's parser() applies (--max-steps -1, no
    limit, is the manifest's absent value)."""
    parser.add_argument("--model", required=True, help="base model: a local directory (model or LoRA adapter) or a hub id")
    add_loading_arguments(parser, quantization=quantization)
    parser.add_argument("--gradient-checkpointing", choices=["true", "false"], help="recompute activations in the backward pass")
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
    parser.add_argument("--distributed-strategy", choices=STRATEGIES, help="how several processes share the training (with ablate_runners.launch)")
    parser.add_argument("--distributed-config", help="the FSDP config file (fsdp) or DeepSpeed JSON (deepspeed)")
    parser.add_argument("--output", required=True, help="the task's output directory; the model goes to OUTPUT/model")


def uses_lora(arguments):
    """Whether the runner trains LoRA adapters (--lora-r given, --lora-enabled not false) rather than every weight."""
    return arguments.lora_enabled != "false" and arguments.lora_r is not None


def lora_config(arguments, task_type):
    """PEFT's LoRA configuration, or None for full fine-tuning."""
    if not uses_lora(arguments):
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=arguments.lora_r, lora_alpha=arguments.lora_alpha or 2 * arguments.lora_r, lora_dropout=arguments.lora_dropout,
        target_modules=arguments.lora_target_modules or "all-linear", task_type=task_type,
    )


def training_loading(arguments):
    """How the runner loads the model it trains (precision.loading_for); a quantized base is
    trained through LoRA only, since bitsandbytes weights cannot be fine-tuned in full."""
    quantization = getattr(arguments, "quantization", "none")
    if quantization != "none" and not uses_lora(arguments):
        raise RunnerError(f"--quantization {quantization} needs LoRA (QLoRA: adapters trained on weights that cannot be fine-tuned in "
                          "full), and LoRA is off: set lora.r (with lora.enabled true), or leave quantization out")
    return loading_for(arguments)


def gradient_checkpointing(arguments):
    """Whether --gradient-checkpointing is on."""
    return arguments.gradient_checkpointing == "true"


def load_trained_model(arguments, loading, kind="causal"):
    """The model to train (--model), loaded as `loading` says; a quantized one prepared for QLoRA
    by peft.prepare_model_for_kbit_training, with gradient checkpointing as --gradient-checkpointing says."""
    model = load_model(arguments.model, from_pretrained_options(loading), kind=kind)
    if loading.quantization == "none":
        return model
    from peft import prepare_model_for_kbit_training

    return prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing(arguments),
                                           gradient_checkpointing_kwargs=dict(CHECKPOINTING_KWARGS))


COMPLETE = ".ablate-complete"
# EX_TEMPFAIL: the runner saved its state on a signal; ablate runs the task again from it.
CHECKPOINTED_EXIT = 75
Checkpointing = namedtuple("Checkpointing", "directory steps seconds keep")


def checkpointing():
    """The checkpoint policy ablate gives in the environment, or None (no checkpoints)."""
    directory = os.environ.get("ABLATE_CHECKPOINT_DIR")
    if not directory:
        return None
    every = os.environ.get("ABLATE_CHECKPOINT_EVERY", "500")
    steps, seconds = (None, int(every[:-1])) if every.endswith("s") else (int(every), None)
    return Checkpointing(directory, steps, seconds, int(os.environ.get("ABLATE_CHECKPOINT_KEEP", "2")))


def trainer_options(arguments, loading):
    """The TrainingArguments fields every trainer takes from the common flags, the model's loading
    (precision.Loading), the checkpoint policy and the trackers ablate asks for (tracking.py)."""
    policy = checkpointing()
    options = dict(
        output_dir=os.path.join(arguments.output, "checkpoints"), num_train_epochs=arguments.epochs, max_steps=arguments.max_steps,
        per_device_train_batch_size=arguments.batch_size, gradient_accumulation_steps=arguments.gradient_accumulation_steps,
        warmup_steps=arguments.warmup_ratio, seed=arguments.seed, logging_steps=1, save_strategy="no",
        use_cpu=not has_accelerator(), disable_tqdm=True, gradient_checkpointing=gradient_checkpointing(arguments),
        **mixed_precision_flags(loading), **reporting(),
    )
    if options["gradient_checkpointing"]:
        options["gradient_checkpointing_kwargs"] = dict(CHECKPOINTING_KWARGS)
    if policy is not None:
        # A time-based policy saves from checkpoint_callback; save_steps is then out of reach.
        options.update(output_dir=policy.directory, save_strategy="steps", save_steps=policy.steps or 10**12, save_total_limit=policy.keep)
    if arguments.learning_rate is not None:
        options["learning_rate"] = arguments.learning_rate
    options.update(distributed_options(arguments))
    return options


def distributed_options(arguments):
    """The TrainingArguments fields of --distributed-strategy (none for a single process)."""
    strategy, config = getattr(arguments, "distributed_strategy", None), getattr(arguments, "distributed_config", None)
    if strategy == "deepspeed":
        if not config:
            raise RunnerError("--distributed-strategy deepspeed needs --distributed-config, a DeepSpeed JSON file "
                              "(distributed.config in the spec)")
        return {"deepspeed": config}
    if strategy == "fsdp":
        return {"fsdp": "full_shard auto_wrap", **({"fsdp_config": config} if config else {})}
    if config:
        raise RunnerError("--distributed-config is read by the fsdp and deepspeed strategies only; "
                          f"with {strategy or 'ddp'} leave distributed.config out")
    # LoRA freezes most weights: DDP need not look for unused parameters at each step.
    return {"ddp_find_unused_parameters": False} if world_size() > 1 else {}


def resume_point():
    """The newest complete checkpoint of the policy's directory, or None."""
    policy = checkpointing()
    if policy is None or not os.path.isdir(policy.directory):
        return None
    complete = [name for name in os.listdir(policy.directory)
                if name.startswith("checkpoint-") and name[11:].isdigit() and os.path.exists(os.path.join(policy.directory, name, COMPLETE))]
    if not complete:
        return None
    return os.path.join(policy.directory, max(complete, key=lambda name: int(name[11:])))


def checkpoint_callback():
    """Marks each checkpoint complete once the Trainer has written it, and saves on a time policy."""
    from transformers import TrainerCallback

    policy = checkpointing()

    class CheckpointCallback(TrainerCallback):
        def __init__(self):
            self.last_save = time.monotonic()
            self.signalled = None
            for number in (signal.SIGTERM, signal.SIGUSR2):
                signal.signal(number, self.stop_soon)

        def stop_soon(self, number, frame):
            self.signalled = signal.Signals(number).name

        def on_step_end(self, args, state, control, **kwargs):
            # Rank 0's clock decides a time-based save, and a signal to any rank stops them all.
            due = is_main_process() and policy.seconds is not None and time.monotonic() - self.last_save >= policy.seconds
            due, signalled = any_rank(due, self.signalled is not None)
            if due:
                control.should_save = True
            if signalled:
                self.signalled = self.signalled or "a signal to another rank"
                control.should_save = True
                control.should_training_stop = True

        def on_save(self, args, state, control, **kwargs):
            self.last_save = time.monotonic()
            folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
            # Every rank has saved its part (its RNG state, its shards) before the marker is written.
            wait_for_every_rank()
            if is_main_process() and os.path.isdir(folder):
                _write_marker(os.path.join(folder, COMPLETE), state.global_step)
            if self.signalled:
                wait_for_every_rank()
                if is_main_process():
                        print(f"{self.signalled}: saved the checkpoint at step {state.global_step}; the next attempt continues from it",
                          file=sys.stderr, flush=True)
                sys.exit(CHECKPOINTED_EXIT)

    return CheckpointCallback()


def _write_marker(path, step):
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(f"{step}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def callbacks(output):
    """The callbacks every trainer gets: the metric series, and checkpoints when ablate asks for them."""
    series = [metrics_callback(output, resume_point())]
    return series + ([checkpoint_callback()] if checkpointing() is not None else [])


def keep_trained_weights_in_float32(trainer):
    """Under fp16 mixed precision, puts every float16 weight the trainer updates in float32
    before its optimizer steps: the gradient scaler refuses float16 gradients."""
    if not trainer.args.fp16:
        return
    import torch

    for parameter in trainer.model.parameters():
        if parameter.requires_grad and parameter.dtype == torch.float16:
            parameter.data = parameter.data.float()


def train(trainer):
    """trainer.train() (its trained weights in float32 under fp16, keep_trained_weights_in_float32),
    continuing from the newest complete checkpoint if there is one."""
    keep_trained_weights_in_float32(trainer)
    point = resume_point()
    if point is None:
        return trainer.train()
    with open(os.path.join(point, "trainer_state.json"), encoding="utf-8") as handle:
        state = json.load(handle)
    print(f"continuing from step {state['global_step']} of {state.get('max_steps', '?')} ({point})", flush=True)
    result = trainer.train(resume_from_checkpoint=point)
    # The Trainer averages the loss over this attempt's steps; over all of them, as an
    # uninterrupted run reports it.
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    return result._replace(training_loss=sum(losses) / len(losses)) if losses else result


def has_accelerator():
    import torch

    return torch.cuda.is_available()


def metrics_callback(output, resumed_from=None):
    """A TrainerCallback appending every log as one strict JSON line to OUTPUT/metrics.jsonl; when
    training continues from a checkpoint, the series starts with the checkpoint's log history, so
    that no step is missing or written twice."""
    from transformers import TrainerCallback

    class MetricsCallback(TrainerCallback):
        def __init__(self):
            self.path = os.path.join(output, "metrics.jsonl")
            self.writes = is_main_process()
            if not self.writes:
                return
            os.makedirs(output, exist_ok=True)
            with open(self.path, "w", encoding="utf-8") as handle:
                for entry in _log_history(resumed_from):
                    line = _metrics_line(entry.get("step", 0), entry)
                    if line:
                        handle.write(line)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not self.writes:
                return
            line = _metrics_line(state.global_step, logs or {})
            if line:
                with open(self.path, "a", encoding="utf-8") as handle:
                    handle.write(line)

    return MetricsCallback()


def _log_history(checkpoint):
    if checkpoint is None:
        return []
    with open(os.path.join(checkpoint, "trainer_state.json"), encoding="utf-8") as handle:
        return json.load(handle).get("log_history", [])


def _metrics_line(step, logs):
    numbers = {k: strict_number(float(v)) for k, v in logs.items() if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "step"}
    return json.dumps({"step": step, **numbers}) + "\n" if numbers else ""


def finish(trainer, arguments, base, scalars, items=None):
    """Saves the trained model (an adapter naming its base, or a full model) with its tokenizer
    to OUTPUT/model, the final scalars to OUTPUT/metrics.json and any per-item values to
    OUTPUT/items.jsonl: the model by the Trainer on every rank (it writes from rank 0), the rest by rank 0."""
    directory = os.path.join(arguments.output, "model")
    trainer.save_model(directory)
    if not is_main_process():
        return
    processing = getattr(trainer, "processing_class", None)
    if processing is not None:
        processing.save_pretrained(directory)
    record_base(directory, base)
    history = [entry for entry in trainer.state.log_history if "loss" in entry]
    if history:
        scalars.setdefault("train/loss", history[-1]["loss"])
    write_metrics(arguments.output, scalars, items)
