"""How a runner loads its models: the dtype of the weights (--precision), bitsandbytes quantization
(--quantization) and the attention implementation (--attention), resolved in one place for every
runner that loads a model.

--precision auto loads bf16 when a CUDA GPU with bf16 is visible, else fp32 (so fp32 on CPU);
fp16 is never chosen by itself. bf16 and fp16 need a CUDA GPU. --quantization 4bit (NF4, computing
in the precision's dtype) or 8bit loads the weights through bitsandbytes, which needs a CUDA GPU
and the package. --attention flash_attention_2 needs a CUDA GPU, the flash_attn package and fp16
or bf16 weights. A request this machine cannot meet is a RunnerError before anything heavy is
loaded. resolve() is the pure part: what a request gives on a machine with the given abilities.
"""

import importlib.util
import sys
from collections import namedtuple

from .common import RunnerError

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
QUANTIZATIONS = ("none", "4bit", "8bit")
ATTENTIONS = ("sdpa", "flash_attention_2", "eager")
DTYPES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}
QUANTIZED_FORMS = {"4bit": "4-bit NF4 (bitsandbytes), computing in", "8bit": "8-bit (bitsandbytes), the rest in"}

# What this machine offers: a CUDA GPU, bf16 on it, and the optional packages.
Machine = namedtuple("Machine", "gpu bf16 bitsandbytes flash_attn")
# How the models are loaded: `dtype` is torch's name of the weights' dtype (the compute dtype
# when quantized), `reason` says why.
Loading = namedtuple("Loading", "dtype reason quantization attention")


def add_loading_arguments(parser, quantization=True):
    """--precision and --attention, and --quantization where the runner can load quantized weights;
    their defaults are the manifest's, which the runner's parser() applies."""
    parser.add_argument("--precision", choices=PRECISIONS, help="the weights' dtype (auto: bf16 on a GPU that has it, else fp32)")
    if quantization:
        parser.add_argument("--quantization", choices=QUANTIZATIONS, help="load the weights quantized by bitsandbytes")
    parser.add_argument("--attention", choices=ATTENTIONS, help="the attention implementation (from_pretrained's attn_implementation)")


def this_machine():
    """The Machine this process runs on."""
    import torch

    gpu = torch.cuda.is_available()
    return Machine(gpu=gpu, bf16=gpu and torch.cuda.is_bf16_supported(), bitsandbytes=_importable("bitsandbytes"),
                   flash_attn=_importable("flash_attn"))


def _importable(package):
    return importlib.util.find_spec(package) is not None


def resolve(precision, quantization, attention, machine):
    """The Loading that --precision, --quantization and --attention give on `machine`, or a
    RunnerError saying what the machine lacks and what to ask for instead."""
    if precision == "auto":
        chosen, reason = _automatic(machine)
    else:
        _check_precision(precision, machine)
        chosen, reason = precision, f"precision {precision}"
    if quantization != "none":
        _check_quantization(quantization, machine)
    if attention == "flash_attention_2":
        _check_flash_attention(chosen, precision, machine)
    return Loading(dtype=DTYPES[chosen], reason=reason, quantization=quantization, attention=attention)


def _automatic(machine):
    if not machine.gpu:
        return "fp32", "precision auto: no GPU"
    if not machine.bf16:
        return "fp32", "precision auto: a CUDA GPU without bf16"
    return "bf16", "precision auto: a CUDA GPU with bf16"


def _check_precision(precision, machine):
    if precision == "fp32":
        return
    if not machine.gpu:
        raise RunnerError(f"--precision {precision} needs a CUDA GPU, and none is visible; use precision: auto (fp32 on CPU) or fp32")
    if precision == "bf16" and not machine.bf16:
        raise RunnerError("--precision bf16 needs a GPU with bf16 (Ampere or later), and this one has none; use precision: auto or fp16")


def _check_quantization(quantization, machine):
    if not machine.gpu:
        raise RunnerError(f"--quantization {quantization} needs a CUDA GPU, and none is visible; leave quantization out")
    if not machine.bitsandbytes:
        raise RunnerError(f"--quantization {quantization} needs bitsandbytes, which this stage's environment does not have: add it to "
                          "the environment (for example with python: pointing at one that has it), or leave quantization out")


def _check_flash_attention(chosen, precision, machine):
    if not machine.gpu:
        raise RunnerError("--attention flash_attention_2 needs a CUDA GPU, and none is visible; use attention: sdpa")
    if not machine.flash_attn:
        raise RunnerError("--attention flash_attention_2 needs the flash_attn package, which this stage's environment does not have: add "
                          "it to the environment (for example with python: pointing at one that has it), or use attention: sdpa")
    if chosen == "fp32":
        raise RunnerError(f"--attention flash_attention_2 needs fp16 or bf16 weights, and precision {precision} loads float32 here; "
                          "use precision: bf16 or fp16, or attention: sdpa")


def loading_for(arguments):
    """The Loading the runner's flags ask for on this machine (a runner without --quantization
    loads unquantized)."""
    return resolve(arguments.precision, getattr(arguments, "quantization", "none"), arguments.attention, this_machine())


def description(loading):
    """The line a runner prints before it loads: `loading the model in float32 (precision auto: no GPU; attention sdpa)`."""
    form = f"{QUANTIZED_FORMS[loading.quantization]} {loading.dtype}" if loading.quantization != "none" else loading.dtype
    return f"loading the model in {form} ({loading.reason}; attention {loading.attention})"


def announce(loading):
    """Prints the description on stderr."""
    print(description(loading), file=sys.stderr, flush=True)


def from_pretrained_options(loading):
    """The keyword arguments of `from_pretrained` that load the weights as `loading` says."""
    import torch

    options = {"dtype": getattr(torch, loading.dtype), "attn_implementation": loading.attention}
    if loading.quantization != "none":
        from transformers import BitsAndBytesConfig

        if loading.quantization == "4bit":
            options["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=options["dtype"])
        else:
            options["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
    return options


def mixed_precision_flags(loading):
    """The TrainingArguments flags that make a trainer compute in the loaded dtype (both off for float32)."""
    return {"bf16": loading.dtype == "bfloat16", "fp16": loading.dtype == "float16"}
