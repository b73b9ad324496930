"""Experiment trackers, without a network: an sft task tracked by offline W&B, MLflow on a local
SQLite store and TensorBoard, in two attempts (the first warned with SIGUSR2, as Slurm does before
a time limit, saves a checkpoint and stops; the second continues from it), reports to one tracker
run of each; the offline W&B runs sync to a local stand-in for W&B's server, each once; a run's
index exports to MLflow idempotently; a tracker that cannot start is left out and the task trains."""

import json
import os
import signal
import struct
import subprocess
import sys
import threading
import zlib
from http.server import ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from conftest import HOOKS, OFFLINE, QUICKSTART_DATA, RUNNERS, read_json, read_lines, run_runner
from fake_wandb import FakeWandb

pytest.importorskip("wandb")
pytest.importorskip("mlflow")
pytest.importorskip("tensorboard")

TRACKER_ID = "0123456789abcdef"
WANDB_KEY = "secret-" + "w" * 40
MLFLOW_TOKEN = "secret-mlflow-token-" + "m" * 20
STEPS, STOP_AFTER = 6, 4
TAGS = {"ablate.study": "quickstart", "ablate.run": "20261205-120000", "ablate.task": "sft[sft_data=lima]", "ablate.stage": "sft",
        "ablate.fingerprint": "f" * 64, "sweep.sft_data": "lima"}
SFT = ["--data", QUICKSTART_DATA / "instructions.jsonl", "--data-format", "prompt-completion", "--max-steps", STEPS, "--batch-size", 2,
       "--lora-r", 8, "--lora-alpha", 16, "--lora-target-modules", "q_proj", "v_proj", "--learning-rate", "1e-3", "--seed", 0]


def tracking(root, wandb=True, mlflow=True, tensorboard=True, mode="offline", uri=None):
    """ABLATE_TRACKING as ablate writes it for the task, with the trackers asked for."""
    return json.dumps({
        "wandb": {"project": "ablate-tests", "entity": None, "mode": mode, "dir": str(root / "task")} if wandb else None,
        "mlflow": {"tracking_uri": uri or f"sqlite:///{root / 'mlflow.db'}", "experiment": "quickstart"} if mlflow else None,
        "tensorboard": {"dir": str(root / "task" / "tensorboard")} if tensorboard else None,
        "run_name": "quickstart/sft[sft_data=lima]", "group": "quickstart/20261205-120000", "tracker_id": TRACKER_ID, "tags": TAGS,
    })


def environment(root, **extra):
    return {"ABLATE_TRACKING": tracking(root), "WANDB_API_KEY": WANDB_KEY, "MLFLOW_TRACKING_TOKEN": MLFLOW_TOKEN,
            "ABLATE_CHECKPOINT_DIR": str(root / "task" / "checkpoints"), "ABLATE_CHECKPOINT_EVERY": "1000", "ABLATE_CHECKPOINT_KEEP": "2",
            "OMP_NUM_THREADS": "1", **extra}


@pytest.fixture(scope="module")
def tracked(tiny_models, hf_home, tmp_path_factory):
    """The task's two attempts, tracked: the first stops after step STOP_AFTER, the second ends at STEPS."""
    root = tmp_path_factory.mktemp("tracked")
    output = root / "task" / "outputs"
    arguments = ["--model", tiny_models["model"], *SFT, "--output", output]
    # The first attempt pauses itself before step STOP_AFTER; warned there, it finishes the step, saves and stops.
    first_environment = {**os.environ, **OFFLINE, "PYTHONPATH": f"{HOOKS}:{RUNNERS}", "HF_HOME": str(hf_home), **environment(root),
                         "ABLATE_TEST_PAUSE_AT_STEP": str(STOP_AFTER)}
    first = subprocess.Popen([sys.executable, "-m", "ablate_runners.sft", *map(str, arguments)], cwd=RUNNERS, env=first_environment,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status = os.waitpid(first.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), f"the trainer paused before step {STOP_AFTER} (wait status {status})"
    first.send_signal(signal.SIGUSR2)
    first.send_signal(signal.SIGCONT)
    _, first_stderr = first.communicate(timeout=300)
    assert first.returncode == 75, first_stderr
    first_series = read_lines(output / "metrics.jsonl")
    second = run_runner("sft", *arguments, home=hf_home, env=environment(root))
    assert second.returncode == 0, second.stderr
    assert f"continuing from step {STOP_AFTER}" in second.stdout, second.stdout
    return SimpleNamespace(root=root, output=output, first_series=first_series, stderr=first_stderr + second.stderr)


def losses(output):
    return [(line["step"], line["loss"]) for line in read_lines(output / "metrics.jsonl") if "loss" in line]


# W&B's offline run files (.wandb) are a LevelDB log of wandb_internal_pb2.Record messages:
# a 7-byte header, then 32 KiB blocks of records, each with a CRC-32, a length and a type
# (FULL, or FIRST, MIDDLE... LAST for one split across blocks).
BLOCK, HEADER = 32768, 7


def wandb_records(path):
    """The records of an offline W&B run file, checked against their checksums."""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert struct.unpack("<4sHB", data[:HEADER]) == (b":W&B", 0xBEE1, 0), f"{path} is not a W&B run file"
    index, pending, records = HEADER, b"", []
    while index + HEADER <= len(data):
        if BLOCK - index % BLOCK < HEADER:
            index += BLOCK - index % BLOCK
            continue
        checksum, length, kind = struct.unpack("<IHB", data[index:index + HEADER])
        if kind == 0:
            break
        chunk = data[index + HEADER:index + HEADER + length]
        assert zlib.crc32(chunk, zlib.crc32(bytes([kind]))) == checksum, f"{path}: a record's checksum does not match"
        index += HEADER + length
        pending += chunk
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def offline_runs(root):
    """The offline W&B run directories under root, oldest first."""
    return sorted(path for path in root.rglob("offline-run-*") if path.is_dir())


def wandb_history(records, metric="train/loss"):
    """The (train/global_step, value) points of a metric in the history rows of a W&B run file."""
    rows = [{item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item}
            for record in records if record.WhichOneof("record_type") == "history"]
    return [(row["train/global_step"], row[metric]) for row in rows if metric in row]


def test_each_attempt_writes_an_offline_wandb_run_with_the_tracker_id_name_group_tags_and_its_steps(tracked):
    runs = offline_runs(tracked.root / "task" / "wandb")
    assert [path.name.rsplit("-", 1)[1] for path in runs] == [TRACKER_ID, TRACKER_ID], "one offline run per attempt, both the tracker's id"
    history = []
    for path in runs:
        records = wandb_records(path / f"run-{TRACKER_ID}.wandb")
        run = next(record.run for record in records if record.WhichOneof("record_type") == "run")
        assert (run.run_id, run.display_name, run.run_group, run.project, run.job_type) == (
            TRACKER_ID, "quickstart/sft[sft_data=lima]", "quickstart/20261205-120000", "ablate-tests", "sft")
        assert {"ablate.study=quickstart", "ablate.task=sft[sft_data=lima]", "sweep.sft_data=lima", f"ablate.tracker_id={TRACKER_ID}"} <= set(run.tags)
        config = {item.key: json.loads(item.value_json) for record in records if record.WhichOneof("record_type") in ("run", "config")
                  for item in (record.run.config.update if record.WhichOneof("record_type") == "run" else record.config.update)}
        assert config["ablate"]["fingerprint"] == "f" * 64 and config["sweep"] == {"sft_data": "lima"}
        assert config["learning_rate"] == 1e-3 and config["max_steps"] == STEPS, "the trainer's arguments are the run's config"
        history.append(wandb_history(records))
    assert [step for step, _ in history[0]] == list(range(1, STOP_AFTER + 1))
    assert [step for step, _ in history[1]] == list(range(STOP_AFTER + 1, STEPS + 1)), "the second attempt continues, no step twice"
    assert history[0] + history[1] == losses(tracked.output), "W&B holds the runner's own loss series"


def test_tensorboard_holds_the_loss_series_of_both_attempts_in_one_directory(tracked):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    directory = tracked.root / "task" / "tensorboard"
    assert len(list(directory.glob("events.out.tfevents.*"))) == 2, "one event file per attempt, in the same directory"
    events = EventAccumulator(str(directory))
    events.Reload()
    series = [(event.step, event.value) for event in events.Scalars("train/loss")]
    assert [step for step, _ in series] == [step for step, _ in losses(tracked.output)]
    assert [value for _, value in series] == pytest.approx([loss for _, loss in losses(tracked.output)], rel=1e-6)


def mlflow_client(root):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}")


def task_runs(client, experiment="quickstart"):
    found = client.get_experiment_by_name(experiment)
    return client.search_runs([found.experiment_id]) if found else []


def test_mlflow_keeps_one_run_for_both_attempts_with_the_tags_and_the_loss_series(tracked):
    client = mlflow_client(tracked.root)
    runs = task_runs(client)
    assert len(runs) == 1, "a retried task keeps its MLflow run"
    run = runs[0]
    assert run.info.run_name == "quickstart/sft[sft_data=lima]" and run.info.status == "FINISHED"
    assert {key: run.data.tags.get(key) for key in TAGS} == TAGS
    assert run.data.tags["ablate.tracker_id"] == TRACKER_ID and run.data.tags["ablate.group"] == "quickstart/20261205-120000"
    history = [(metric.step, metric.value) for metric in client.get_metric_history(run.info.run_id, "loss")]
    assert sorted(history) == losses(tracked.output)


def test_no_credential_is_written_to_any_file_of_the_task(tracked):
    written = [path for path in tracked.root.rglob("*") if path.is_file()]
    assert len(written) > 20
    for path in written:
        content = path.read_bytes()
        assert WANDB_KEY.encode() not in content and MLFLOW_TOKEN.encode() not in content, f"a credential in {path}"


def run_python(code, env):
    """Runs `code` in a fresh interpreter with the runners on its path (and the test hooks), returning the completed process."""
    environment = {**os.environ, **OFFLINE, "PYTHONPATH": f"{HOOKS}:{RUNNERS}", **env}
    return subprocess.run([sys.executable, "-c", code], cwd=RUNNERS, capture_output=True, text=True, env=environment, timeout=300)


REPORTING = "import json; from ablate_runners.tracking import reporting; print(json.dumps(reporting()))"


@pytest.mark.parametrize("value", [None, "", "{}"])
def test_without_tracking_the_trainer_reports_to_none(value):
    env = {"ABLATE_TRACKING": value} if value is not None else {}
    result = run_python(REPORTING, env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"report_to": "none"}
    assert result.stderr == ""


def test_only_rank_zero_reports(tmp_path):
    result = run_python(REPORTING, {"ABLATE_TRACKING": tracking(tmp_path), "RANK": "1", "WORLD_SIZE": "2"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"report_to": "none"}
    assert not (tmp_path / "task").exists() and not (tmp_path / "mlflow.db").exists()


def test_trackers_that_cannot_start_are_left_out_with_one_warning_each_and_the_task_trains(tiny_models, hf_home, tmp_path):
    # W&B online with its server unreachable, MLflow's server unreachable, TensorBoard not installed.
    request = tracking(tmp_path, mode="online", uri="http://127.0.0.1:9")
    env = {"ABLATE_TRACKING": request, "WANDB_API_KEY": WANDB_KEY, "WANDB_BASE_URL": "http://127.0.0.1:9", "WANDB_INIT_TIMEOUT": "5",
           "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0", "ABLATE_TEST_HIDDEN_MODULES": "tensorboard,tensorboardX", "PYTHONPATH": f"{HOOKS}:{RUNNERS}"}
    result = run_runner("sft", "--model", tiny_models["model"], *SFT[:4], "--max-steps", 2, "--batch-size", 2, "--output", tmp_path / "out",
                        home=hf_home, env=env)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3, result.stderr
    assert "W&B tracking is off for this task: its run did not start" in warnings[0]
    assert "MLflow tracking is off for this task: its run at http://127.0.0.1:9 did not start" in warnings[1]
    assert "TensorBoard tracking is off for this task: the package tensorboard is not installed" in warnings[2]
    assert [step for step, _ in losses(tmp_path / "out")] == [1, 2]
    assert not (tmp_path / "task" / "tensorboard").exists()


def test_on_two_ranks_only_rank_zero_reports(tiny_models, hf_home, tmp_path):
    output = tmp_path / "task" / "outputs"
    result = run_runner("launch", "--processes-per-node", 2, "sft", "--model", tiny_models["model"], *SFT[:4], "--max-steps", 3,
                        "--batch-size", 2, "--lora-r", 8, "--output", output, home=hf_home, env={"ABLATE_TRACKING": tracking(tmp_path)})
    assert result.returncode == 0, result.stderr
    [offline] = offline_runs(tmp_path / "task" / "wandb")
    assert wandb_history(wandb_records(offline / f"run-{TRACKER_ID}.wandb")) == losses(output)
    [run] = task_runs(mlflow_client(tmp_path))
    assert sorted((metric.step, metric.value) for metric in mlflow_client(tmp_path).get_metric_history(run.info.run_id, "loss")) == losses(output)
    assert len(list((tmp_path / "task" / "tensorboard").glob("events.out.tfevents.*"))) == 1


@pytest.mark.skipif(not os.environ.get("ABLATE_PPO_PYTHON"), reason="ABLATE_PPO_PYTHON (the TRL 1.12 environment's python) is not set")
def test_ppo_reports_its_statistics_to_every_tracker(tiny_models, hf_home, tmp_path):
    sft = run_runner("sft", "--model", tiny_models["model"], *SFT[:4], "--max-steps", 2, "--batch-size", 2, "--lora-r", 8,
                     "--output", tmp_path / "sft", home=hf_home)
    assert sft.returncode == 0, sft.stderr
    env = {"ABLATE_TRACKING": tracking(tmp_path)}
    result = run_runner("ppo", "--model", tmp_path / "sft" / "model", "--reward-model", tiny_models["reward_model"],
                        "--prompts", QUICKSTART_DATA / "instructions.jsonl", "--prompts-format", "prompt-completion", "--max-prompts", 4,
                        "--lora-r", 4, "--max-steps", 2, "--batch-size", 2, "--ppo-epochs", 1, "--max-new-tokens", 6, "--kl-coef", 0.1,
                        "--output", tmp_path / "ppo", python=os.environ["ABLATE_PPO_PYTHON"], home=hf_home, env=env)
    assert result.returncode == 0, result.stderr
    scores = [(line["step"], line["objective/scores"]) for line in read_lines(tmp_path / "ppo" / "metrics.jsonl")]
    client = mlflow_client(tmp_path)
    [run] = task_runs(client)
    assert sorted((metric.step, metric.value) for metric in client.get_metric_history(run.info.run_id, "objective/scores")) == scores
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "task" / "tensorboard"))
    events.Reload()
    assert [event.step for event in events.Scalars("train/objective/scores")] == [step for step, _ in scores]
    [offline] = offline_runs(tmp_path / "task" / "wandb")
    assert wandb_history(wandb_records(offline / f"run-{TRACKER_ID}.wandb"), "train/objective/scores") == scores


@pytest.fixture
def fake_wandb():
    """The base URL of a FakeWandb (fake_wandb.py) served for one test, its state emptied."""
    FakeWandb.reset()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeWandb)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def offline_copy(tracked, tmp_path):
    """A copy of the task's directory, for a test to sync."""
    import shutil

    shutil.copytree(tracked.root / "task" / "wandb", tmp_path / "task" / "wandb", symlinks=True)
    return tmp_path / "task"


def wandb_sync(*arguments, url):
    return run_runner("wandb_sync", *arguments, env={"WANDB_API_KEY": WANDB_KEY, "WANDB_BASE_URL": url})


def test_wandb_sync_uploads_both_attempts_to_one_run_and_marks_them(offline_copy, tracked, fake_wandb):
    result = wandb_sync(offline_copy, url=fake_wandb)
    assert result.returncode == 0, result.stderr
    assert f"synced run {TRACKER_ID} (2 attempts)" in result.stdout
    assert all((path / ".ablate-synced").exists() for path in offline_runs(offline_copy))
    assert list(FakeWandb.runs) == [TRACKER_ID]
    run = FakeWandb.runs[TRACKER_ID]
    assert (run["display_name"], run["group"]) == ("quickstart/sft[sft_data=lima]", "quickstart/20261205-120000")
    # The second attempt's rows follow the first's (an offline attempt numbers its own rows' _step
    # from 0; the charts' axis is the trainer's train/global_step, which continues).
    rows = [json.loads(line) for line in run["history"]]
    assert [(row["train/global_step"], row["train/loss"]) for row in rows if "train/loss" in row] == losses(tracked.output)

    requests = len(FakeWandb.requests)
    again = wandb_sync(offline_copy, url=fake_wandb)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "nothing to sync: 2 offline W&B run directories are synced already"
    assert len(FakeWandb.requests) == requests, "nothing was uploaded again"


def test_wandb_sync_skips_a_run_directory_already_marked(offline_copy, fake_wandb):
    first, second = offline_runs(offline_copy)
    (first / ".ablate-synced").write_text("synced by hand\n")
    result = wandb_sync(offline_copy, url=fake_wandb)
    assert result.returncode == 0, result.stderr
    assert f"synced run {TRACKER_ID} (1 attempt)" in result.stdout
    assert "1 run directories were synced before" in result.stdout
    assert (first / ".ablate-synced").read_text() == "synced by hand\n" and (second / ".ablate-synced").exists()


def test_wandb_sync_without_a_server_fails_with_one_line_and_marks_nothing(offline_copy):
    result = wandb_sync(offline_copy, url="http://127.0.0.1:9")
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: cannot reach W&B: http://127.0.0.1:9: [Errno 111] Connection refused "
                                     "(2 offline run directories left to sync; run this again where the network reaches it)")
    assert not any((path / ".ablate-synced").exists() for path in offline_runs(offline_copy))


def test_wandb_sync_names_each_run_the_server_refuses_and_marks_none(offline_copy, fake_wandb):
    FakeWandb.status = 401
    result = wandb_sync(offline_copy, url=fake_wandb)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: run {TRACKER_ID} (") and "wandb sync failed (" in errors[0], result.stderr
    assert "401" in errors[0]
    assert not any((path / ".ablate-synced").exists() for path in offline_runs(offline_copy))


def test_wandb_sync_of_another_id_syncs_nothing(offline_copy):
    result = wandb_sync(offline_copy, "--id", "ffffffffffffffff", url="http://127.0.0.1:9")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "nothing to sync: 0 offline W&B run directories are synced already"


EXPORT = {
    "study": "quickstart", "run": "20261205-120000", "experiment": "quickstart",
    "tasks": [
        {"task": "sft[sft_data=lima]", "stage": "sft", "kind": "sft", "state": "completed", "fingerprint": "a" * 64,
         "tags": {"ablate.study": "quickstart", "ablate.run": "20261205-120000", "ablate.task": "sft[sft_data=lima]", "ablate.stage": "sft",
                  "ablate.fingerprint": "a" * 64, "sweep.sft_data": "lima"},
         "params": {"learning_rate": "1e-3", "lora.r": "8", "max_steps": "3"},
         "metrics": {"train/loss": 1.5, "train/steps": 3, "train/never": None},
         "series": {"loss": [[1, 2.0], [2, 1.75], [3, 1.5]], "grad_norm": [[1, 0.5], [2, None], [3, 0.25]]},
         "artifacts": {"model": "/runs/quickstart/20261205-120000/tasks/sft[sft_data=lima]/outputs/model"}},
        {"task": "eval[sft_data=lima]", "stage": "eval", "kind": "lm-eval", "state": "failed", "fingerprint": "b" * 64,
         "tags": {"sweep.sft_data": "lima"}, "params": {"tasks": "arc_easy"}, "metrics": {"acc_norm,none": None}, "series": {}, "artifacts": {}},
    ],
}


def export(tmp_path, document, uri, name="export.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return run_runner("export_mlflow", path, "--tracking-uri", uri)


def snapshot(client):
    """Every active run of the experiment: task → (status, params, latest metrics, tags, histories)."""
    found = {}
    for run in task_runs(client):
        histories = {key: [(metric.step, metric.value) for metric in client.get_metric_history(run.info.run_id, key)] for key in run.data.metrics}
        found[run.data.tags["ablate.task"]] = (run.info.status, run.data.params, run.data.metrics, run.data.tags, histories)
    return found


def test_export_to_mlflow_makes_one_run_per_task_and_a_second_export_changes_nothing(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    first = export(tmp_path, EXPORT, uri)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"exported 2 tasks to experiment quickstart at {uri} (2 created, 0 updated, 0 unchanged)"
    client = mlflow_client(tmp_path)
    runs = snapshot(client)
    status, params, metrics, tags, histories = runs["sft[sft_data=lima]"]
    assert status == "FINISHED" and params == {"learning_rate": "1e-3", "lora.r": "8", "max_steps": "3"}
    assert metrics == {"train/loss": 1.5, "train/steps": 3.0, "loss": 1.5, "grad_norm": 0.25}
    assert histories["loss"] == [(1, 2.0), (2, 1.75), (3, 1.5)] and histories["grad_norm"] == [(1, 0.5), (3, 0.25)]
    assert tags["ablate.artifact.model"] == EXPORT["tasks"][0]["artifacts"]["model"]
    assert tags["mlflow.runName"] == "quickstart/sft[sft_data=lima]" and tags["ablate.run"] == "20261205-120000"
    assert runs["eval[sft_data=lima]"][0] == "FAILED" and runs["eval[sft_data=lima]"][2] == {}

    second = export(tmp_path, EXPORT, uri)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip().endswith("(0 created, 0 updated, 2 unchanged)")
    assert snapshot(client) == runs, "the same params, metrics, tags and histories, no point twice"


def test_export_to_mlflow_updates_what_changed_and_replaces_a_task_whose_fingerprint_changed(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert export(tmp_path, EXPORT, uri).returncode == 0
    resumed = json.loads(json.dumps(EXPORT))
    resumed["tasks"][0]["series"]["loss"].append([4, 1.25])
    resumed["tasks"][0]["metrics"]["train/loss"] = 1.25
    resumed["tasks"][1].update(state="completed", metrics={"acc_norm,none": 0.5})
    result = export(tmp_path, resumed, uri)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("(0 created, 2 updated, 0 unchanged)")
    client = mlflow_client(tmp_path)
    runs = snapshot(client)
    assert runs["sft[sft_data=lima]"][4]["loss"] == [(1, 2.0), (2, 1.75), (3, 1.5), (4, 1.25)]
    assert runs["sft[sft_data=lima]"][2]["train/loss"] == 1.25
    assert runs["eval[sft_data=lima]"][0] == "FINISHED" and runs["eval[sft_data=lima]"][2] == {"acc_norm_none": 0.5}

    edited = json.loads(json.dumps(resumed))
    edited["tasks"][1].update(fingerprint="c" * 64, params={"tasks": "arc_challenge"})
    result = export(tmp_path, edited, uri)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("(1 created, 0 updated, 1 unchanged; 1 run of an earlier version of its task deleted)")
    runs = snapshot(client)
    assert len(runs) == 2 and runs["eval[sft_data=lima]"][1] == {"tasks": "arc_challenge"}
    assert runs["eval[sft_data=lima]"][3]["ablate.fingerprint"] == "c" * 64


def test_export_adds_to_the_run_live_tracking_made_for_the_task(tracked, tmp_path):
    import shutil

    shutil.copy(tracked.root / "mlflow.db", tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    series = {}
    for line in read_lines(tracked.output / "metrics.jsonl"):
        for name, value in line.items():
            if name != "step":
                series.setdefault(name, []).append([line["step"], value])
    task = {**EXPORT["tasks"][0], "fingerprint": TAGS["ablate.fingerprint"], "tags": TAGS, "series": series,
            "metrics": read_json(tracked.output / "metrics.json"), "params": {"learning_rate": "1e-3", "max_steps": str(STEPS)}}
    result = export(tmp_path, {**EXPORT, "tasks": [task]}, uri)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("(0 created, 1 updated, 0 unchanged)"), "the live run, not a new one"
    assert "warning" not in result.stderr, "1e-3 is the 0.001 the trainer logged"
    client = mlflow_client(tmp_path)
    [run] = task_runs(client)
    assert sorted((metric.step, metric.value) for metric in client.get_metric_history(run.info.run_id, "loss")) == losses(tracked.output)
    assert run.data.metrics["train/loss"] == read_json(tracked.output / "metrics.json")["train/loss"]


def test_export_of_a_malformed_file_is_one_error_line(tmp_path):
    document = json.loads(json.dumps(EXPORT))
    document["tasks"][0]["series"]["loss"] = [[1, "high"]]
    result = export(tmp_path, document, f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'export.json'}: tasks[0].series.loss: expected a list of [step, number or null] pairs"
