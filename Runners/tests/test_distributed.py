"""Runners as several processes (ablate_runners.launch, torchrun) on CPU, over gloo. Trainers: one
model and one metric series written by rank 0, the data sharded over the ranks, a failure of any
rank failing the task with that rank's error, and a signal stopping every rank at one checkpoint.
Samplers: the batches shared out over the ranks give what one process draws."""

import json
import math
import os
import shutil

import pytest

from conftest import HOOKS, QUICKSTART_DATA, RUNNERS, read_json, read_lines, run_runner

LORA = ["--lora-r", 8, "--lora-alpha", 16, "--lora-target-modules", "q_proj", "v_proj"]
# 12 examples, 2 per rank and step, 2 ranks: one epoch is 3 steps (6 alone).
TWO_RANKS = ["--processes-per-node", 2]


def launched(module, *arguments, output, home, env=None):
    return run_runner("launch", *TWO_RANKS, module, *arguments, "--batch-size", 2, *LORA, "--output", output, home=home,
                      env={"PYTHONPATH": f"{RUNNERS}:{HOOKS}", **(env or {})})


def series(output):
    with open(output / "metrics.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def assert_written_by_one_rank(output, steps):
    losses = [line for line in series(output) if "loss" in line]
    # One line per step (two ranks writing would double them), and 3 steps per epoch of 12 records over 2 ranks.
    assert [line["step"] for line in losses] == list(range(1, steps + 1))
    assert losses[2]["epoch"] == pytest.approx(1.0)
    assert all(math.isfinite(line["loss"]) for line in losses)
    assert sorted(os.listdir(output / "model")).count("adapter_model.safetensors") == 1
    assert math.isfinite(read_json(output / "metrics.json")["train/loss"])


@pytest.fixture(scope="module")
def sft_two_ranks(tiny_models, tmp_path_factory, hf_home):
    output = tmp_path_factory.mktemp("sft-ddp")
    result = launched("sft", "--model", tiny_models["model"], "--data", QUICKSTART_DATA / "instructions.jsonl",
                      "--data-format", "prompt-completion", "--data-sample", 12, "--max-steps", 3, output=output, home=hf_home)
    assert result.returncode == 0, result.stderr
    return output


def test_sft_on_two_ranks_writes_one_model_and_one_series(sft_two_ranks, tiny_models):
    assert_written_by_one_rank(sft_two_ranks, 3)
    assert read_json(sft_two_ranks / "model" / "adapter_config.json")["base_model_name_or_path"] == str(tiny_models["model"])


def test_dpo_on_two_ranks_writes_one_model_and_one_series(sft_two_ranks, tmp_path, hf_home):
    result = launched("dpo", "--model", sft_two_ranks / "model", "--data", QUICKSTART_DATA / "preferences-shp.jsonl",
                      "--data-format", "preference", "--data-sample", 12, "--beta", 0.1, "--max-steps", 3, output=tmp_path, home=hf_home)
    assert result.returncode == 0, result.stderr
    assert_written_by_one_rank(tmp_path, 3)
    assert 0.0 <= read_json(tmp_path / "metrics.json")["rewards/accuracies"] <= 1.0


def test_a_crash_of_rank_1_fails_the_task_with_its_error(tiny_models, tmp_path, hf_home):
    result = launched("sft", "--model", tiny_models["model"], "--data", QUICKSTART_DATA / "instructions.jsonl",
                      "--data-format", "prompt-completion", "--max-steps", 3, output=tmp_path, home=hf_home,
                      env={"ABLATE_TEST_FAILING_RANK": "1"})
    assert result.returncode == 1
    assert result.stderr.rstrip().splitlines()[-1] == \
        "error: rank 1 of 2 failed (exit code 1: RuntimeError: rank 1 lost its device at step 1)"
    assert not (tmp_path / "metrics.json").exists() and not (tmp_path / "model").exists()


def test_a_runner_error_on_every_rank_is_one_clear_line(tmp_path, hf_home):
    missing = tmp_path / "absent"
    result = launched("sft", "--model", missing, "--data", QUICKSTART_DATA / "instructions.jsonl", output=tmp_path / "out",
                      home=hf_home)
    assert result.returncode == 1
    last = result.stderr.rstrip().splitlines()[-1]
    assert last.startswith("error: rank ") and last.endswith(f"failed (exit code 1: RunnerError: model not found: {missing})")


def test_a_signal_stops_every_rank_at_one_checkpoint_and_training_continues_from_it(tiny_models, tmp_path, hf_home):
    checkpoints = tmp_path / "checkpoints"
    policy = {"ABLATE_CHECKPOINT_DIR": str(checkpoints), "ABLATE_CHECKPOINT_EVERY": "1000", "ABLATE_CHECKPOINT_KEEP": "2"}
    arguments = ["--model", tiny_models["model"], "--data", QUICKSTART_DATA / "instructions.jsonl", "--data-format",
                 "prompt-completion", "--max-steps", 8]
    stopped = launched("sft", *arguments, output=tmp_path / "out", home=hf_home,
                       env={**policy, "ABLATE_TEST_SIGNALLING_RANK": "1", "ABLATE_TEST_SIGNAL_STEP": "3"})
    assert stopped.returncode == 75, stopped.stderr
    saved = [name for name in os.listdir(checkpoints) if (checkpoints / name / ".ablate-complete").exists()]
    assert len(saved) == 1, os.listdir(checkpoints)
    # Both ranks saved their RNG state into the one checkpoint.
    assert {"rng_state_0.pth", "rng_state_1.pth"} <= set(os.listdir(checkpoints / saved[0]))
    resumed = launched("sft", *arguments, output=tmp_path / "out", home=hf_home, env=policy)
    assert resumed.returncode == 0, resumed.stderr
    assert f"continuing from step {saved[0][len('checkpoint-'):]} of 8" in resumed.stdout
    assert [line["step"] for line in series(tmp_path / "out") if "loss" in line] == list(range(1, 9))


def test_several_nodes_need_a_slurm_job(tmp_path, hf_home):
    result = run_runner("launch", "--nodes", 2, *TWO_RANKS, "sft", "--output", tmp_path, home=hf_home,
                        env={"SLURM_JOB_NODELIST": "", "SLURM_JOB_ID": ""})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: a task on several nodes runs inside a Slurm job")


SAMPLING = ["--prompts", QUICKSTART_DATA / "summaries-id.jsonl", "--prompts-format", "prompt-only", "--max-prompts", 8,
            "--batch-size", 2, "--max-new-tokens", 8, "--temperature", 1.0, "--seed", 3]


@pytest.mark.parametrize("module, extra", [("generate", ["--samples-per-prompt", 2]), ("bon", ["--n", 3])])
def test_sampling_shared_out_over_two_ranks_draws_what_one_process_draws(module, extra, tiny_models, tmp_path, hf_home):
    models = ["--model", tiny_models["model"]] + (["--reward-model", tiny_models["reward_model"]] if module == "bon" else [])
    alone = run_runner(module, *models, *SAMPLING, *extra, "--output", tmp_path / "alone", home=hf_home)
    assert alone.returncode == 0, alone.stderr
    shared = run_runner("launch", *TWO_RANKS, module, *models, *SAMPLING, *extra, "--output", tmp_path / "shared", home=hf_home,
                        env={"ABLATE_CHECKPOINT_DIR": str(tmp_path / "checkpoints")})
    assert shared.returncode == 0, shared.stderr
    # 8 prompts in batches of 2: ranks 0 and 1 each sampled two batches, and kept them in their own log.
    for rank in (0, 1):
        assert len((tmp_path / "checkpoints" / f"rank-{rank}" / "items.jsonl").read_text().splitlines()) == 2
    for name in os.listdir(tmp_path / "alone" / "samples"):
        shared_records = read_lines(tmp_path / "shared" / "samples" / name)
        alone_records = read_lines(tmp_path / "alone" / "samples" / name)
        assert len(shared_records) == len(alone_records) and all(map(same, shared_records, alone_records)), name
    assert same(read_json(tmp_path / "shared" / "metrics.json"), read_json(tmp_path / "alone" / "metrics.json"))


def same(a, b):
    """Equal, numbers to within float noise: one process and two ranks run their reductions on
    other thread counts, so a reward can differ in its last places."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-5)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
    return a == b


@pytest.mark.skipif(shutil.which("scontrol") is None or not os.environ.get("SLURM_CONF"), reason="needs Slurm's scontrol and a cluster's config")
def test_several_nodes_meet_at_the_first_node_of_the_job():
    from ablate_runners import launch

    rendezvous = launch.slurm_rendezvous({"SLURM_JOB_NODELIST": "gpu[07-08]", "SLURM_JOB_ID": "41234"})
    assert rendezvous == ("gpu07", 21234, "41234")
    arguments = launch.parser().parse_args(["--nodes", "2", "--processes-per-node", "8", "sft", "--n", "3"])
    assert launch.torchrun_arguments(arguments, rendezvous) == [
        "--nnodes=2", "--nproc-per-node=8", "--max-restarts=0", f"--signals-to-handle={launch.SIGNALS}",
        f"--shutdown-timeout={launch.SHUTDOWN_SECONDS}", "--rdzv-backend=c10d", "--rdzv-endpoint=gpu07:21234", "--rdzv-id=41234",
        "--module", "ablate_runners.rank",
    ]
    assert arguments.module == "sft" and arguments.arguments == ["--n", "3"]
