"""Loading models for the runners: a full model directory, a hub id, or a LoRA adapter.

A LoRA adapter's `adapter_config.json` names its base model; when that base is itself an
adapter (DPO on top of SFT), the chain is followed down to a full model, and every adapter is
merged on the way up (`merge_and_unload`). Stages therefore pass adapters to each other without
anyone writing a merged copy to disk.
"""

import json
import os

from .common import RunnerError

ADAPTER_CONFIG = "adapter_config.json"


def is_adapter(path):
    return os.path.isfile(os.path.join(path, ADAPTER_CONFIG))


def adapter_base(path):
    with open(os.path.join(path, ADAPTER_CONFIG), encoding="utf-8") as handle:
        base = json.load(handle).get("base_model_name_or_path")
    if not base:
        raise RunnerError(f"{path}/{ADAPTER_CONFIG} names no base model")
    return base


def check_local(path):
    """A path that looks local must exist: never let it fall through to a hub lookup."""
    if path.startswith(("/", "./", "../", "~")) and not os.path.exists(os.path.expanduser(path)):
        raise RunnerError(f"model not found: {path}")
    return path


def full_model_path(path):
    """The full model at the bottom of an adapter chain."""
    seen = set()
    while is_adapter(check_local(path)):
        if path in seen:
            raise RunnerError(f"adapter chain loops at {path}")
        seen.add(path)
        path = adapter_base(path)
    return check_local(path)


def model_kind(path):
    """"reward" when the chain's full model is a sequence classifier, else "causal"."""
    config = os.path.join(full_model_path(path), "config.json")
    if not os.path.isfile(config):
        return "causal"
    with open(config, encoding="utf-8") as handle:
        architectures = json.load(handle).get("architectures") or []
    return "reward" if any(name.endswith("ForSequenceClassification") for name in architectures) else "causal"


def load_model(path, options, kind="causal"):
    """Loads a causal LM (kind "causal") or a one-label sequence classifier (kind "reward"),
    merging any chain of LoRA adapters into it. `options` are the `from_pretrained` keyword
    arguments of the full model at the bottom of the chain (precision.from_pretrained_options:
    dtype, attention, quantization); each adapter is merged into it as loaded, into quantized
    weights too (PEFT dequantizes, adds and quantizes again)."""
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    check_local(path)
    if not is_adapter(path):
        if kind == "reward":
            return AutoModelForSequenceClassification.from_pretrained(path, num_labels=1, **options)
        return AutoModelForCausalLM.from_pretrained(path, **options)
    from peft import PeftModel

    base = load_model(adapter_base(path), options, kind=kind)
    return PeftModel.from_pretrained(base, path).merge_and_unload()


def load_tokenizer(path):
    """The tokenizer saved with a model or adapter, else the one of the chain's full model."""
    from transformers import AutoTokenizer

    check_local(path)
    source = path if os.path.isfile(os.path.join(path, "tokenizer_config.json")) or not os.path.isdir(path) else full_model_path(path)
    tokenizer = AutoTokenizer.from_pretrained(source)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def record_base(output, base):
    """Makes a saved adapter name the model it was trained on (the input path, adapter or not),
    so that the chain can be followed later."""
    config_path = os.path.join(output, ADAPTER_CONFIG)
    if not os.path.isfile(config_path):
        return
    with open(config_path, encoding="utf-8") as handle:
        config = json.load(handle)
    config["base_model_name_or_path"] = os.path.abspath(base) if os.path.exists(base) else base
    with open(config_path, "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2)
