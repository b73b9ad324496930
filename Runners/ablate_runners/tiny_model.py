"""A deterministic tiny Llama, its tokenizer and a tiny reward model, made locally.

    python -m ablate_runners.tiny_model --output DIR [--seed 0]

For trying pipelines where no model can be downloaded: a byte-level BPE tokenizer (512 tokens,
with a chat template) trained on generated English-like lines, a `LlamaForCausalLM` of about
100k parameters and a `LlamaForSequenceClassification` with one label (a reward model) on the
same tokenizer, saved to DIR/model and DIR/reward_model. The same seed gives byte-identical files.
"""

import argparse
import itertools
import os

from . import manifest
from .common import fail

KIND = "tiny-model"
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}<|user|>{{ message['content'] }}\n"
    "{% elif message['role'] == 'assistant' %}<|assistant|>{{ message['content'] }}<|end|>\n"
    "{% else %}<|system|>{{ message['content'] }}\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIAL_TOKENS = ["<|pad|>", "<|end|>", "<|user|>", "<|assistant|>", "<|system|>", "<|unk|>"]
SUBJECTS = ["the moon", "rainy days", "a small garden", "the old library", "a mountain walk", "the city", "music", "a river", "the sea", "winter"]
VERBS = ["is", "was", "seems", "feels", "becomes"]
ADJECTIVES = ["calm", "bright", "quiet", "busy", "pleasant", "boring", "interesting", "cold", "warm", "long"]
FRAMES = [
    "Write one sentence about {s}.", "Summarise: A short post about {s}. The writer liked it.",
    "What do you think of {s}?", "Here is a sentence about {s}: it {v} {a}.", "I find {s} {a}, for several reasons.",
    "Officials said that {s} drew large crowds.", "Which word describes {s} best? {a}",
]


def corpus():
    for frame, subject, verb, adjective in itertools.product(FRAMES, SUBJECTS, VERBS, ADJECTIVES):
        yield frame.format(s=subject, v=verb, a=adjective)


def build_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<|unk|>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=512, special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(corpus(), trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<|pad|>", eos_token="<|end|>", bos_token="<|end|>", unk_token="<|unk|>",
        additional_special_tokens=["<|user|>", "<|assistant|>", "<|system|>"],
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def llama_config(tokenizer):
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=4, max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=False,
    )


def parser():
    """The runner's flags with the manifest's defaults: what main() parses, and what the contract check tries."""
    flags = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    flags.add_argument("--output", required=True, help="the task's output directory")
    flags.add_argument("--seed", type=int)
    manifest.apply_defaults(flags, KIND)
    return flags


def main():
    arguments = parser().parse_args()

    import torch
    from transformers import LlamaForCausalLM, LlamaForSequenceClassification

    tokenizer = build_tokenizer()
    targets = [
        (os.path.join(arguments.output, "model"), LlamaForCausalLM, {}),
        (os.path.join(arguments.output, "reward_model"), LlamaForSequenceClassification, {"num_labels": 1}),
    ]
    for directory, model_class, extra in targets:
        torch.manual_seed(arguments.seed)
        config = llama_config(tokenizer)
        for key, value in extra.items():
            setattr(config, key, value)
        model = model_class(config)
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as error:
            fail(f"cannot create {directory}: {error.strerror}")
        model.save_pretrained(directory)
        tokenizer.save_pretrained(directory)
        print(f"saved {model_class.__name__} ({sum(p.numel() for p in model.parameters())} parameters) to {directory}")


if __name__ == "__main__":
    main()
