"""A deterministic tiny Llama, its tokenizer and a tiny reward model, made locally.

    python -m ablate_runners.tiny_model --output DIR [--seed 0]

For trying pipelines where no model can be downloaded: a byte-level BPE tokenizer (512 tokens,
with a chat template in HH-RLHF's dialogue format) trained on generated English-like text, a
`LlamaForCausalLM` of about 150k parameters pretrained on that text for a few seconds, and a
`LlamaForSequenceClassification` with one label (a reward model) on the same tokenizer, its
backbone the pretrained one and its score head new, saved to DIR/model and DIR/reward_model. The
same seed gives byte-identical files on a machine.

The text is about the world of the quickstart's data (Experiments/data/quickstart/generate.py):
people visit places and find them pleasant or not. Sentences keep to one place and one tone, as
real text does, and half the texts are one-turn dialogues as the chat template writes them (a
"Human:" turn, then an "Assistant:" reply) whose reply is about the same place. So the model
knows the words, the dialogue format and that a reply names what the request talks about, but
whether a reply says the visit was enjoyed or disliked is drawn at random: summarising a post is
left for fine-tuning to teach.
"""

import argparse
import os
import random

from . import manifest
from .common import fail

KIND = "tiny-model"
# HH-RLHF's dialogue format, so that a chat-formatted prompt reads like the prompts of the
# HH-RLHF and SHP pairs the quickstart trains its reward model and DPO on; a reply follows the
# prompt after a space and ends with EOS.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '\\n\\nHuman: ' + message['content'] }}"
    "{% elif message['role'] == 'assistant' %}{{ '\\n\\nAssistant: ' + message['content'] + '<|end|>' }}"
    "{% else %}{{ message['content'] }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '\\n\\nAssistant:' }}{% endif %}"
)
SPECIAL_TOKENS = ["<|pad|>", "<|end|>", "<|unk|>"]
PLACES = ["park", "museum", "beach", "market", "library", "garden", "castle", "harbour",
          "zoo", "cafe", "forest", "theatre", "lake", "bakery", "gallery", "stadium"]
# Pleasant words, then unpleasant ones.
WORDS = ["lovely", "great", "fun", "peaceful", "wonderful", "sunny", "awful", "boring", "noisy", "dull", "dirty", "cold"]
COMPANIONS = ["sister", "brother", "friend", "mum", "dad", "dog"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SENTENCES = [
    "I went to the {p} with my {c} on {d}.", "On {d} my {c} and I visited the {p}.", "My {c} took me to the {p} on {d}.",
    "It was {w} and {x}.", "We found it {w} and {x}.", "Visitors called it {w} and {x}.", "The {p} was {w}.",
    "Officials said on {d} that the {p} drew {s} crowds this week.", "Summarise: the {p} was {w}.",
    "Summarise this news report: the {p} is {w}.", "Tell me about the {p}.", "Write one sentence about the {p}.", "What do you think of the {p}?",
]
REPLIES = ["The writer {v} the {p}.", "The writer {v} it.", "They {l} the {p}.", "They {l} it.",
           "A {m} visit to the {p}.", "A {m} visit.", "Visitors {v} the {p}.", "The {p} was {w}."]
TEXTS = 6000
# Enough for the model to learn the dialogue format and to repeat a request's place, so that LoRA
# fine-tuning has features to work with (from a random model it learns next to nothing).
PRETRAIN_STEPS = 800


def fill(rng, template, place, words):
    """The template about `place`, its two descriptive words from `words`; the verdicts at random."""
    w, x = rng.sample(words, 2)
    return template.format(p=place, c=rng.choice(COMPANIONS), d=rng.choice(DAYS), w=w, x=x, s=rng.choice(["large", "small"]),
                           v=rng.choice(["enjoyed", "disliked"]), l=rng.choice(["liked", "hated"]), m=rng.choice(["good", "bad"]))


def corpus(rng):
    """The pretraining texts: one to three sentences, or a one-turn dialogue, each about one place
    in words of one tone."""
    for index in range(TEXTS):
        place, words = rng.choice(PLACES), rng.choice([WORDS[:6], WORDS[6:]])
        if index % 2:
            yield " ".join(fill(rng, rng.choice(SENTENCES + REPLIES), place, words) for _ in range(rng.randint(1, 3)))
        else:
            request = " ".join(fill(rng, rng.choice(SENTENCES), place, words) for _ in range(rng.randint(1, 2)))
            # What the chat template writes, less the EOS that every text gets.
            yield f"\n\nHuman: {request}\n\nAssistant: {fill(rng, rng.choice(REPLIES), place, words)}"


def build_tokenizer(texts):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<|unk|>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=512, special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="<|pad|>", eos_token="<|end|>", bos_token="<|end|>", unk_token="<|unk|>")
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


def pretrain(model, tokenizer, texts, seed):
    """Next-token prediction on the texts, each ending with EOS, in random batches of 16; on one
    thread, so that the weights do not depend on the machine's core count. Returns the last loss."""
    import torch

    torch.manual_seed(seed)
    ids = [tokenizer(text + tokenizer.eos_token)["input_ids"] for text in texts]
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    order = torch.Generator().manual_seed(seed)
    for step in range(PRETRAIN_STEPS):
        batch = [ids[i] for i in torch.randint(len(ids), (16,), generator=order).tolist()]
        width = max(map(len, batch))
        input_ids = torch.tensor([row + [tokenizer.pad_token_id] * (width - len(row)) for row in batch])
        labels = torch.tensor([row + [-100] * (width - len(row)) for row in batch])
        loss = model(input_ids=input_ids, attention_mask=(labels != -100).long(), labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    return loss.item()


def main():
    arguments = parser().parse_args()

    import torch
    from transformers import LlamaForCausalLM, LlamaForSequenceClassification

    torch.set_num_threads(1)
    texts = list(corpus(random.Random(arguments.seed)))
    tokenizer = build_tokenizer(texts)
    torch.manual_seed(arguments.seed)
    model = LlamaForCausalLM(llama_config(tokenizer))
    loss = pretrain(model, tokenizer, texts, arguments.seed)
    print(f"pretrained for {PRETRAIN_STEPS} steps on {len(texts)} texts: loss {loss:.3f}")
    torch.manual_seed(arguments.seed)
    config = llama_config(tokenizer)
    config.num_labels = 1
    reward_model = LlamaForSequenceClassification(config)
    reward_model.model.load_state_dict(model.model.state_dict())
    for directory, saved in ((os.path.join(arguments.output, "model"), model), (os.path.join(arguments.output, "reward_model"), reward_model)):
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as error:
            fail(f"cannot create {directory}: {error.strerror}")
        saved.save_pretrained(directory)
        tokenizer.save_pretrained(directory)
        print(f"saved {type(saved).__name__} ({sum(p.numel() for p in saved.parameters())} parameters) to {directory}")


if __name__ == "__main__":
    main()
