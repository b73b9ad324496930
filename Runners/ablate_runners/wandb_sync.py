"""Uploads the offline W&B runs of a study's tasks to W&B, each once.

    python -m ablate_runners.wandb_sync DIR... [--id TRACKER_ID] [--project P] [--entity E] [--timeout SECONDS]

A training task tracked with W&B in offline mode (tracking.py) leaves one run directory per
attempt, DIR/.../wandb/offline-run-<time>-<id>, all with the task's tracker id. Every such
directory under the DIRs that does not hold the marker file `.ablate-synced` is uploaded with
W&B's own `wandb sync`, the attempts of one run together in one call (W&B replays them in order of
start time, each continuing the lines the server holds), and marked once that call has succeeded:
running it again uploads only what is left. A call that W&B reports as failed (an ERROR line, a
non-zero exit) or that outlasts --timeout marks nothing. Each offline attempt numbers its history
rows (W&B's `_step`) from 0, as W&B does offline; the trainer's train/global_step, the axis of the
charts, continues across them.

--id syncs the runs of that tracker id alone; --project and --entity override the ones the runs
were started with. The credentials are W&B's own (WANDB_API_KEY or `wandb login`), and
WANDB_BASE_URL names another server.

Prints one line per run synced and a summary; exits 0 when every run is synced, else 1 with one
`error:` line per run that is not, or a single `error: cannot reach W&B: ...` line when the server
cannot be reached at all.
"""

import argparse
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

from .common import RunnerError, fail, write_atomically

MARKER = ".ablate-synced"
RUN_DIRECTORY = re.compile(r"offline-run-(\d{8}_\d{6})-([A-Za-z0-9_-]+)")
REACH_SECONDS = 10


def parser():
    flags = argparse.ArgumentParser(description="Upload the offline W&B runs under the directories, each once.")
    flags.add_argument("directories", nargs="+", metavar="DIR", help="directories to search for offline W&B runs (a run's or a task's directory)")
    flags.add_argument("--id", dest="tracker_id", help="sync only the runs with this id (a task's tracker id)")
    flags.add_argument("--project", help="upload to this W&B project instead of the runs' own")
    flags.add_argument("--entity", help="upload to this W&B entity instead of the runs' own")
    flags.add_argument("--timeout", type=float, default=3600, help="seconds one run may take to upload (default 3600)")
    return flags


def offline_runs(directories):
    """{run id: [offline run directories, oldest first]} under the directories, with whether each is marked synced."""
    runs = {}
    for top in directories:
        if not os.path.isdir(top):
            raise RunnerError(f"{top} is not a directory")
        for folder, subfolders, files in os.walk(top):
            match = RUN_DIRECTORY.fullmatch(os.path.basename(folder))
            if match and any(name.endswith(".wandb") for name in files):
                runs.setdefault(match.group(2), []).append((match.group(1), os.path.abspath(folder)))
                subfolders[:] = []
    return {run_id: sorted(set(found)) for run_id, found in sorted(runs.items())}


def is_synced(folder):
    return os.path.exists(os.path.join(folder, MARKER))


def base_url():
    """The W&B server `wandb sync` uploads to, as W&B resolves it (WANDB_BASE_URL, its settings, its default)."""
    from wandb.sdk import wandb_setup

    return wandb_setup.singleton().settings.base_url.rstrip("/")


def unreachable(url):
    """Why the server at `url` cannot be reached, or None when it answers (any HTTP status counts)."""
    try:
        urllib.request.urlopen(url, timeout=REACH_SECONDS).close()
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return str(reason) or type(reason).__name__
    return None


def sync_command(folders, arguments):
    command = [sys.executable, "-m", "wandb", "sync"]
    if arguments.project:
        command += ["--project", arguments.project]
    if arguments.entity:
        command += ["--entity", arguments.entity]
    return command + folders


def sync_run(folders, arguments):
    """Uploads the run's unsynced attempts with `wandb sync`; None when it succeeded, else why not."""
    # W&B's own logs of the upload go beside the run's, in the directory the task tracked into.
    tracked_into = os.path.dirname(os.path.dirname(folders[0]))
    try:
        result = subprocess.run(sync_command(folders, arguments), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=arguments.timeout, cwd=tracked_into, env={**os.environ, "WANDB_DIR": tracked_into})
    except subprocess.TimeoutExpired:
        return f"wandb sync did not finish within {arguments.timeout:g} s"
    output = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    # `wandb sync` reports a run it could not upload as an ERROR line, yet may exit 0.
    errors = [line for line in output if "ERROR" in line or line.startswith("Error")]
    if result.returncode != 0 or errors:
        cause = (errors or output or [f"exit status {result.returncode}"])[-1]
        return f"wandb sync failed ({cause})"
    return None


def mark(folder, run_id):
    write_atomically(os.path.join(folder, MARKER), f"run {run_id} synced {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n")


def main():
    arguments = parser().parse_args()
    try:
        runs = offline_runs(arguments.directories)
    except RunnerError as error:
        fail(str(error))
    if arguments.tracker_id:
        runs = {run_id: found for run_id, found in runs.items() if run_id == arguments.tracker_id}
    pending = {run_id: [folder for _, folder in found if not is_synced(folder)] for run_id, found in runs.items()}
    pending = {run_id: folders for run_id, folders in pending.items() if folders}
    done = sum(len(found) for found in runs.values()) - sum(len(folders) for folders in pending.values())
    if not pending:
        print(f"nothing to sync: {done} offline W&B run director{'y is' if done == 1 else 'ies are'} synced already", flush=True)
        return
    try:
        url = base_url()
    except ImportError:
        fail("wandb is not installed in this environment: install the runners' environment (Runners/environments/runners.txt)")
    cause = unreachable(url)
    if cause is not None:
        left = sum(len(folders) for folders in pending.values())
        fail(f"cannot reach W&B: {url}: {cause} ({left} offline run director{'y' if left == 1 else 'ies'} left to sync; "
             "run this again where the network reaches it)")
    failures = 0
    for run_id, folders in pending.items():
        cause = sync_run(folders, arguments)
        if cause is not None:
            failures += 1
            print(f"error: run {run_id} ({', '.join(folders)}): {cause}", file=sys.stderr, flush=True)
            continue
        for folder in folders:
            mark(folder, run_id)
        print(f"synced run {run_id} ({len(folders)} attempt{'' if len(folders) == 1 else 's'})", flush=True)
    synced = len(pending) - failures
    print(f"synced {synced} of {len(pending)} W&B runs to {url}; {done} run directories were synced before", flush=True)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
