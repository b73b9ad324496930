"""PPO against a reward model with TRL 1.12's PPOTrainer (`trl.experimental.ppo`), LoRA through PEFT.

    python -m ablate_runners.ppo --model PATH --reward-model PATH --prompts PATH [--prompts-format F
        --prompts-split S --prompts-subset C --prompts-sample N] [--max-prompts N]
        [--lora-r 8 --lora-alpha 16 --lora-dropout 0.05 --lora-target-modules q_proj v_proj]
        [--precision auto|bf16|fp16|fp32 --attention sdpa|flash_attention_2|eager --gradient-checkpointing true|false]
        [--kl-coef 0.05 --ppo-epochs 4 --temperature 0.7 --max-new-tokens 64 --max-length N]
        [--learning-rate X --epochs E --max-steps S --batch-size B --gradient-accumulation-steps G --seed S] --output DIR

The policy is --model (an SFT adapter chain, merged in memory); with LoRA the reference policy is
the same model with the adapter disabled, without it a frozen copy. The reward model (a one-label
sequence classifier sharing the policy's tokenizer) scores the responses, and a copy of it is the
value model. Prompts are chat-formatted when the tokenizer has a chat template (the last
--max-length tokens are kept); responses stop at the EOS token or after --max-new-tokens. One PPO
step takes B x G prompts: --max-steps S sets S x B x G episodes, else --epochs passes over the prompts.

Every model loads as --precision and --attention say (training.py says how the trainer computes).
TRL 1.12's PPOTrainer runs its own loop on an Accelerator of its own: that Accelerator takes mixed
precision only from ACCELERATE_MIXED_PRECISION, which the runner sets to the config's, and the
trainer never turns gradient checkpointing on from its config, so with --gradient-checkpointing
true the runner turns it on in the policy and the value model itself.

It reports to the trackers ABLATE_TRACKING names as the other trainers do (tracking.py, through
trainer_options): TRL 1.12's PPOConfig takes report_to and run_name, and PPOTrainer calls
transformers' tracker callbacks with its statistics at each step.

Writes DIR/model (the policy adapter, naming --model as its base, or the full model with
--lora-enabled false), DIR/metrics.jsonl (TRL's PPO statistics per step: objective/scores,
objective/kl, loss/policy_avg, loss/value_avg, …; NaN written as null) and DIR/metrics.json
(ppo/mean_score and ppo/kl of the last step, train/loss = its policy loss + vf_coef x value loss, train/steps).
"""

import argparse
import os

from . import manifest
from .common import RunnerError, fail
from .models import load_tokenizer
from .precision import announce
from .sampling import add_generation_arguments, add_prompt_arguments, check_arguments, format_prompt, load_prompts, load_reward_model
from .training import (CHECKPOINTING_KWARGS, add_training_arguments, finish, gradient_checkpointing, keep_trained_weights_in_float32,
                       load_trained_model, lora_config, metrics_callback, trainer_options, training_loading)

KIND = "ppo"


def prompt_dataset(arguments, tokenizer):
    """The token ids of the chat-formatted prompts: the dataset PPOTrainer samples queries from."""
    from datasets import Dataset

    prompts = load_prompts(arguments)
    episodes_per_step = arguments.batch_size * arguments.gradient_accumulation_steps
    if len(prompts) < episodes_per_step:
        raise RunnerError(f"{len(prompts)} prompts, fewer than one PPO batch (--batch-size x --gradient-accumulation-steps = {episodes_per_step})")
    texts = [format_prompt(tokenizer, prompt["prompt"]) for prompt in prompts]
    ids = tokenizer(texts, add_special_tokens=not tokenizer.chat_template)["input_ids"]
    return Dataset.from_dict({"input_ids": [row[-arguments.max_length :] if arguments.max_length else row for row in ids]})


def enable_gradient_checkpointing(policy, value_model):
    """Gradient checkpointing (non-reentrant) in the two models PPO trains. The policy's input
    embeddings are made to require gradients, as TRL 1.16's trainers do for a PEFT model, so that
    the LoRA layers PPOTrainer adds get theirs through the checkpoints."""
    for model in (policy, value_model):
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=dict(CHECKPOINTING_KWARGS))
    policy.enable_input_require_grads()


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(description="PPO against a reward model (TRL 1.12 PPOTrainer).")
    add_training_arguments(flags, data=False, quantization=False)
    add_prompt_arguments(flags)
    add_generation_arguments(flags)
    flags.add_argument("--reward-model", required=True, help="a sequence classifier with one label, also the value model's start")
    flags.add_argument("--kl-coef", type=float, help="KL penalty coefficient")
    flags.add_argument("--ppo-epochs", type=int, help="PPO epochs over each batch of rollouts")
    manifest.apply_defaults(flags, KIND)
    return flags


def main():
    arguments = parser().parse_args()
    try:
        check_arguments(arguments, "max_prompts", "max_new_tokens", "batch_size", "gradient_accumulation_steps", "ppo_epochs", "temperature")
        loading = training_loading(arguments)
        from transformers import set_seed
        from trl.experimental.ppo import PPOConfig, PPOTrainer

        set_seed(arguments.seed)
        tokenizer = load_tokenizer(arguments.model)
        tokenizer.padding_side = "left"
        dataset = prompt_dataset(arguments, tokenizer)
        announce(loading)
        reward_model, _ = load_reward_model(arguments.reward_model, loading, tokenizer.pad_token_id)
        value_model, _ = load_reward_model(arguments.reward_model, loading, tokenizer.pad_token_id)
        policy = load_trained_model(arguments, loading)
        if gradient_checkpointing(arguments):
            enable_gradient_checkpointing(policy, value_model)
        options = trainer_options(arguments, loading)
        if arguments.max_steps > 0:
            options["total_episodes"] = arguments.max_steps * arguments.batch_size * arguments.gradient_accumulation_steps
        config = PPOConfig(
            **options, kl_coef=arguments.kl_coef, num_ppo_epochs=arguments.ppo_epochs, num_mini_batches=1, temperature=arguments.temperature,
            response_length=arguments.max_new_tokens, stop_token="eos", num_sample_generations=0,
        )
        os.environ["ACCELERATE_MIXED_PRECISION"] = config.mixed_precision
        trainer = PPOTrainer(
            args=config, processing_class=tokenizer, model=policy, ref_model=None, reward_model=reward_model,
            value_model=value_model, train_dataset=dataset, peft_config=lora_config(arguments, "CAUSAL_LM"),
            callbacks=[metrics_callback(arguments.output)],
        )
        keep_trained_weights_in_float32(trainer)
        if config.num_total_batches < 1:
            raise RunnerError(f"{config.total_episodes} episodes make no PPO step of {config.batch_size}; raise --epochs or set --max-steps")
        trainer.train()
        last = [entry for entry in trainer.state.log_history if "objective/scores" in entry][-1]
        finish(trainer, arguments, arguments.model, {
            "ppo/mean_score": last["objective/scores"], "ppo/kl": last["objective/kl"], "train/steps": trainer.state.global_step,
            "train/loss": last["loss/policy_avg"] + config.vf_coef * last["loss/value_avg"],
        })
    except RunnerError as error:
        fail(str(error))


if __name__ == "__main__":
    main()
