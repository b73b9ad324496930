"""The fetch runner against the fake hub (fake_hub.py, a local HTTP server speaking the hub's
protocol): a download into the shared cache, nothing downloaded the second time, a moved branch,
and the one line of each failure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import read_json, run_runner

TOKEN = "hf_fake_token_for_tests"


@pytest.fixture
def hub(tmp_path):
    root = tmp_path / "hub-root"
    model = root / "models" / "org" / "tiny" / "main"
    model.mkdir(parents=True)
    (model / "config.json").write_text('{"model_type": "llama"}\n')
    (model / "model.safetensors").write_bytes(bytes(range(256)) * 400)
    data = root / "datasets" / "org" / "pairs" / "main" / "data"
    data.mkdir(parents=True)
    (data / "train.jsonl").write_text('{"prompt": "p", "chosen": "c", "rejected": "r"}\n')
    gated = root / "models" / "org" / "gated" / "main"
    gated.mkdir(parents=True)
    (gated / "config.json").write_text("{}\n")
    (root / "models" / "org" / "gated" / ".gated").write_text("")
    log = tmp_path / "requests.log"
    server = subprocess.Popen([sys.executable, str(Path(__file__).parent / "fake_hub.py"), "--root", str(root), "--token", TOKEN,
                               "--log", str(log)], stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    yield {"endpoint": f"http://127.0.0.1:{port}", "root": root, "log": log, "cache": tmp_path / "hf-home"}
    server.terminate()
    server.wait()


def fetch(hub, output, *arguments, token=None, offline=False):
    switch = "1" if offline else "0"
    env = {"HF_ENDPOINT": hub["endpoint"], "HF_HOME": str(hub["cache"]), "HF_TOKEN": token or "",
           "HF_HUB_OFFLINE": switch, "HF_DATASETS_OFFLINE": switch, "TRANSFORMERS_OFFLINE": switch}
    return run_runner("fetch", *arguments, "--output", output, env=env)


def downloads(hub):
    return [line for line in hub["log"].read_text().splitlines() if line.startswith("GET ") and "/resolve/" in line]


def test_a_model_is_fetched_once_into_the_shared_cache_and_linked(hub, tmp_path):
    first = fetch(hub, tmp_path / "a", "--repo-type", "model", "--repo-id", "org/tiny")
    assert first.returncode == 0, first.stderr
    record = read_json(tmp_path / "a" / "fetch.json")
    assert record["files"] == 2 and record["bytes"] == 102400 + 24 and record["bytes_downloaded"] == record["bytes"]
    snapshot = os.path.realpath(tmp_path / "a" / "snapshot")
    assert snapshot.startswith(str(hub["cache"] / "hub" / "models--org--tiny" / "snapshots"))
    assert os.path.basename(snapshot) == record["commit"]
    assert "2/2 files" in first.stdout
    count = len(downloads(hub))
    second = fetch(hub, tmp_path / "b", "--repo-type", "model", "--repo-id", "org/tiny", "--commit", record["commit"])
    assert second.returncode == 0, second.stderr
    assert len(downloads(hub)) == count and read_json(tmp_path / "b" / "fetch.json")["bytes_downloaded"] == 0


def test_a_dataset_snapshot_keeps_its_folders(hub, tmp_path):
    result = fetch(hub, tmp_path / "d", "--repo-type", "dataset", "--repo-id", "org/pairs")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "snapshot" / "data" / "train.jsonl").exists()


def test_a_branch_that_moved_after_planning_fails_rather_than_mixing_commits(hub, tmp_path):
    planned = "0" * 40
    result = fetch(hub, tmp_path / "m", "--repo-type", "model", "--repo-id", "org/tiny", "--commit", planned)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: model org/tiny moved to {read_commit(hub)} after ablate resolved it to 000000000000: start the run again to use the new commit"]


def read_commit(hub):
    sys.path.insert(0, str(Path(__file__).parent))
    from fake_hub import commit_of

    return commit_of(hub["root"] / "models" / "org" / "tiny" / "main")[:12]


@pytest.mark.parametrize("arguments, token, offline, message", [
    (["--repo-id", "org/gated"], None, False,
     "model org/gated is gated: accept its licence at {endpoint}/org/gated and set HF_TOKEN (or log in with 'hf auth login') with an account that has access"),
    (["--repo-id", "org/missing"], None, False, "model org/missing was not found at {endpoint}: check the id (a private repository also needs HF_TOKEN)"),
    (["--repo-id", "org/tiny", "--revision", "v9"], None, False,
     "model org/tiny@v9: the repository has no revision 'v9'; check the branch, tag or commit in the spec's 'revision:'"),
    (["--repo-id", "org/tiny"], None, True,
     "model org/tiny is not in the cache ({cache}/hub) and --offline forbids downloading it: run once without --offline"),
])
def test_each_failure_is_one_line_naming_the_repository_and_the_fix(hub, tmp_path, arguments, token, offline, message):
    result = fetch(hub, tmp_path / "e", "--repo-type", "model", *arguments, token=token, offline=offline)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["error: " + message.format(endpoint=hub["endpoint"], cache=hub["cache"])]
    assert not (tmp_path / "e" / "fetch.json").exists()


def test_a_gated_repository_is_fetched_with_the_token(hub, tmp_path):
    result = fetch(hub, tmp_path / "g", "--repo-type", "model", "--repo-id", "org/gated", token=TOKEN)
    assert result.returncode == 0, result.stderr
    assert all(line.endswith(" token") for line in hub["log"].read_text().splitlines() if "org/gated" in line)


def test_no_network_fails_with_one_line_unless_the_cache_holds_it(hub, tmp_path):
    unreachable = {**hub, "endpoint": "http://127.0.0.1:9"}
    result = fetch(unreachable, tmp_path / "n", "--repo-type", "model", "--repo-id", "org/tiny")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: cannot reach http://127.0.0.1:9 to fetch model org/tiny, and it is not in the cache: check the network, or use --offline with what the cache holds"]
    assert fetch(hub, tmp_path / "o", "--repo-type", "model", "--repo-id", "org/tiny").returncode == 0
    assert fetch(hub, tmp_path / "p", "--repo-type", "model", "--repo-id", "org/tiny", offline=True).returncode == 0


def test_an_lm_eval_task_s_hub_dataset_is_fetched_into_the_datasets_cache_and_read_offline(hub, tmp_path):
    questions = hub["root"] / "datasets" / "org" / "questions" / "main" / "data"
    questions.mkdir(parents=True)
    (questions / "test.jsonl").write_text('{"question": "Is rain dry?", "choices": ["yes", "no"], "answer": 1}\n')
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    (tasks / "hub_questions.yaml").write_text(
        "task: hub_questions\ndataset_path: org/questions\ntest_split: test\noutput_type: multiple_choice\n"
        "doc_to_text: '{{question}}'\ndoc_to_choice: '{{choices}}'\ndoc_to_target: '{{answer}}'\nmetric_list:\n  - metric: acc\n")
    online = fetch(hub, tmp_path / "l", "--lm-eval-task", "hub_questions", "--task-dir", tasks)
    assert online.returncode == 0, online.stderr
    assert read_json(tmp_path / "l" / "fetch.json")["datasets"] == ["org/questions"]
    assert (hub["cache"] / "datasets" / "org___questions").is_dir()
    offline = fetch(hub, tmp_path / "m", "--lm-eval-task", "hub_questions", "--task-dir", tasks, offline=True)
    assert offline.returncode == 0, offline.stderr


def test_an_evaluation_refuses_a_fetch_record_of_another_task(tmp_path):
    record = tmp_path / "fetch.json"
    record.write_text('{"lm_eval_task": "piqa", "datasets": ["ybisk/piqa"]}\n')
    result = run_runner("lm_eval", "--model", tmp_path, "--tasks", "arc_challenge", "--fetched", record, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == f"error: {record} fetched lm-eval task 'piqa', which is not among --tasks arc_challenge"
