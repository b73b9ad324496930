"""Precision, quantization, attention and gradient checkpointing: how a request resolves on
machines with and without a GPU (the pure resolve(), given each machine's abilities), and the
runners that train and sample with these flags on this machine, which has no GPU."""

import argparse

import pytest

from ablate_runners.common import RunnerError
from ablate_runners.precision import Machine, description, from_pretrained_options, mixed_precision_flags, resolve
from ablate_runners.training import training_loading
from conftest import QUICKSTART_DATA, run_runner

CPU = Machine(gpu=False, bf16=False, bitsandbytes=False, flash_attn=False)
OLD_GPU = Machine(gpu=True, bf16=False, bitsandbytes=False, flash_attn=False)
GPU = Machine(gpu=True, bf16=True, bitsandbytes=False, flash_attn=False)
GPU_WITH_PACKAGES = Machine(gpu=True, bf16=True, bitsandbytes=True, flash_attn=True)
NO_GPU = "needs a CUDA GPU, and none is visible"
SFT_QUICKLY = ["--data", QUICKSTART_DATA / "instructions.jsonl", "--data-format", "prompt-completion", "--max-steps", 2, "--batch-size", 2,
               "--lora-r", 4]


@pytest.fixture
def without_gpu():
    """Skips a test of what this machine does without a GPU when one is visible."""
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is visible, so these flags load in bf16 here")


@pytest.mark.parametrize("machine, dtype, reason", [
    (CPU, "float32", "precision auto: no GPU"),
    (OLD_GPU, "float32", "precision auto: a CUDA GPU without bf16"),
    (GPU, "bfloat16", "precision auto: a CUDA GPU with bf16"),
])
def test_auto_is_bf16_on_a_gpu_that_has_it_and_float32_elsewhere(machine, dtype, reason):
    assert resolve("auto", "none", "sdpa", machine) == (dtype, reason, "none", "sdpa")


def test_fp32_loads_float32_everywhere():
    assert {resolve("fp32", "none", "eager", machine).dtype for machine in (CPU, OLD_GPU, GPU)} == {"float32"}


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_half_precision_without_a_gpu_is_an_error(precision):
    with pytest.raises(RunnerError) as error:
        resolve(precision, "none", "sdpa", CPU)
    assert str(error.value) == f"--precision {precision} {NO_GPU}; use precision: auto (fp32 on CPU) or fp32"


def test_bf16_on_a_gpu_without_it_is_an_error_and_fp16_loads_there():
    with pytest.raises(RunnerError, match="needs a GPU with bf16"):
        resolve("bf16", "none", "sdpa", OLD_GPU)
    assert resolve("fp16", "none", "sdpa", OLD_GPU) == ("float16", "precision fp16", "none", "sdpa")


def test_quantization_needs_a_gpu_then_bitsandbytes():
    with pytest.raises(RunnerError) as error:
        resolve("auto", "4bit", "sdpa", CPU)
    assert str(error.value) == f"--quantization 4bit {NO_GPU}; leave quantization out"
    with pytest.raises(RunnerError) as error:
        resolve("auto", "8bit", "sdpa", GPU)
    assert str(error.value) == ("--quantization 8bit needs bitsandbytes, which this stage's environment does not have: add it to the "
                                "environment (for example with python: pointing at one that has it), or leave quantization out")


def test_quantized_weights_compute_in_the_precisions_dtype():
    loading = resolve("auto", "4bit", "sdpa", GPU_WITH_PACKAGES)
    assert description(loading) == ("loading the model in 4-bit NF4 (bitsandbytes), computing in bfloat16 "
                                     "(precision auto: a CUDA GPU with bf16; attention sdpa)")
    assert mixed_precision_flags(loading) == {"bf16": True, "fp16": False}


@pytest.mark.parametrize("precision, machine, cause", [
    ("auto", CPU, f"--attention flash_attention_2 {NO_GPU}; use attention: sdpa"),
    ("auto", GPU, "--attention flash_attention_2 needs the flash_attn package, which this stage's environment does not have"),
    ("fp32", GPU_WITH_PACKAGES, "--attention flash_attention_2 needs fp16 or bf16 weights, and precision fp32 loads float32 here"),
])
def test_flash_attention_needs_a_gpu_the_package_and_half_precision(precision, machine, cause):
    with pytest.raises(RunnerError) as error:
        resolve(precision, "none", "flash_attention_2", machine)
    assert str(error.value).startswith(cause)


def test_flash_attention_loads_in_bf16_on_a_gpu_with_the_package():
    assert resolve("auto", "none", "flash_attention_2", GPU_WITH_PACKAGES).attention == "flash_attention_2"


def test_float32_turns_both_mixed_precision_flags_off():
    assert mixed_precision_flags(resolve("auto", "none", "sdpa", CPU)) == {"bf16": False, "fp16": False}
    assert mixed_precision_flags(resolve("fp16", "none", "sdpa", GPU)) == {"bf16": False, "fp16": True}


def test_from_pretrained_options_name_the_dtype_and_the_attention():
    torch = pytest.importorskip("torch")
    assert from_pretrained_options(resolve("fp32", "none", "eager", CPU)) == {"dtype": torch.float32, "attn_implementation": "eager"}


def test_a_quantized_base_without_lora_is_an_error_before_anything_loads():
    arguments = argparse.Namespace(quantization="4bit", lora_r=None, lora_enabled=None, precision="auto", attention="sdpa")
    with pytest.raises(RunnerError, match=r"^--quantization 4bit needs LoRA .* and LoRA is off: set lora.r"):
        training_loading(arguments)
    with pytest.raises(RunnerError, match="and LoRA is off"):
        training_loading(argparse.Namespace(**{**vars(arguments), "lora_r": 8, "lora_enabled": "false"}))


def test_sft_in_fp32_with_eager_attention_and_gradient_checkpointing_trains_and_saves(tiny_models, hf_home, tmp_path):
    torch = pytest.importorskip("torch")
    result = run_runner("sft", "--model", tiny_models["model"], *SFT_QUICKLY, "--precision", "fp32", "--attention", "eager",
                        "--gradient-checkpointing", "true", "--output", tmp_path, home=hf_home)
    assert result.returncode == 0, result.stderr
    assert "loading the model in float32 (precision fp32; attention eager)" in result.stderr.splitlines()
    assert (tmp_path / "model" / "adapter_model.safetensors").is_file()
    settings = torch.load(tmp_path / "model" / "training_args.bin", weights_only=False)
    assert settings.gradient_checkpointing is True and settings.gradient_checkpointing_kwargs == {"use_reentrant": False}
    assert (settings.bf16, settings.fp16) == (False, False)


def test_sft_in_bf16_without_a_gpu_fails_with_one_line_and_writes_no_model(without_gpu, tiny_models, hf_home, tmp_path):
    result = run_runner("sft", "--model", tiny_models["model"], *SFT_QUICKLY, "--precision", "bf16", "--output", tmp_path, home=hf_home)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: --precision bf16 {NO_GPU}; use precision: auto (fp32 on CPU) or fp32"
    assert not (tmp_path / "model").exists()


def test_sft_quantized_without_a_gpu_fails_with_one_line(without_gpu, tiny_models, hf_home, tmp_path):
    result = run_runner("sft", "--model", tiny_models["model"], *SFT_QUICKLY, "--quantization", "4bit", "--output", tmp_path, home=hf_home)
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: --quantization 4bit {NO_GPU}; leave quantization out"
    assert not (tmp_path / "model").exists()


def test_generate_in_auto_precision_says_it_loads_float32_without_a_gpu(without_gpu, tiny_models, hf_home, tmp_path):
    result = run_runner("generate", "--model", tiny_models["model"], "--prompts", QUICKSTART_DATA / "summaries-id.jsonl", "--max-prompts", 2,
                        "--samples-per-prompt", 1, "--max-new-tokens", 4, "--precision", "auto", "--output", tmp_path, home=hf_home)
    assert result.returncode == 0, result.stderr
    assert "loading the model in float32 (precision auto: no GPU; attention sdpa)" in result.stderr.splitlines()
    assert (tmp_path / "samples" / "samples.jsonl").is_file()
