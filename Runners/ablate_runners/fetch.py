"""Fetches what a study reads from the Hugging Face Hub into the shared Hugging Face cache, once.

    python -m ablate_runners.fetch --repo-type model|dataset --repo-id ORG/NAME --revision REV
        [--commit SHA] --output DIR
    python -m ablate_runners.fetch --lm-eval-task NAME [--task-dir DIR] --output DIR

A repository is downloaded with `huggingface_hub.snapshot_download` into the cache the usual
variables name (HF_HUB_CACHE, else HF_HOME/hub), with the token of HF_TOKEN or of the stored login;
files already in the cache are not downloaded again. --commit is the commit ablate resolved REV to
when it planned the run: a revision that moved since fails rather than mixing two commits. An
lm-eval task's datasets are downloaded by loading the task through the harness, online, so that
the evaluation later finds them in the datasets cache offline. HF_HUB_OFFLINE=1 fetches from the
cache alone.

Writes DIR/snapshot (a link to the snapshot folder in the cache, for repositories), DIR/fetch.json
(what was fetched: repository, revision, commit, files, bytes, bytes downloaded, seconds) and
DIR/metrics.json; prints progress as files and bytes. Every failure is one line naming the
repository and the fix.
"""

import argparse
import json
import os
import threading
import time

from .common import RunnerError, fail, write_metrics

KIND = "fetch"


def human(size):
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size} B"


def progress_bar_class(label):
    """A tqdm class for snapshot_download that prints one line of files and bytes at most every
    half second (the line ablate's live view shows), and draws nothing."""
    from tqdm.auto import tqdm

    state = {"files": (0, 0), "bytes": (0, 0), "printed": 0.0}
    lock = threading.Lock()

    def report(force=False):
        now = time.monotonic()
        if not force and now - state["printed"] < 0.5:
            return
        state["printed"] = now
        files_done, files_total = state["files"]
        bytes_done, bytes_total = state["bytes"]
        if files_total == 0:
            return
        print(f"fetching {label}: {files_done}/{files_total} files, {human(bytes_done)} of {human(bytes_total)}", flush=True)

    class ReportingBar(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = False
            kwargs["file"] = open(os.devnull, "w")
            super().__init__(*args, **kwargs)

        def update(self, n=1):
            result = super().update(n)
            with lock:
                key = "bytes" if self.unit == "B" else "files"
                state[key] = (int(self.n), int(self.total or 0))
                report(force=key == "files" and self.total and self.n >= self.total)
            return result

        def close(self):
            file = self.fp
            super().close()
            file.close()

    return ReportingBar


def storage_folder(repo_type, repo_id):
    from huggingface_hub import constants

    return os.path.join(constants.HF_HUB_CACHE, f"{repo_type}s--" + repo_id.replace("/", "--"))


def folder_bytes(folder):
    total = 0
    for directory, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total


def snapshot_files(snapshot):
    files = []
    for directory, _, names in os.walk(snapshot):
        files += [os.path.join(directory, name) for name in names]
    return files


def described(options):
    what = f"{options.repo_type} {options.repo_id}"
    return what if options.revision == "main" else f"{what}@{options.revision}"


def hub_error(error, options):
    """One line for each way a download fails, naming the repository and the fix."""
    from huggingface_hub import constants
    from huggingface_hub.errors import (GatedRepoError, LocalEntryNotFoundError, OfflineModeIsEnabled,
                                        RepositoryNotFoundError, RevisionNotFoundError)

    what = described(options)
    page = f"{constants.ENDPOINT}/{'datasets/' if options.repo_type == 'dataset' else ''}{options.repo_id}"
    if isinstance(error, GatedRepoError):
        return f"{what} is gated: accept its licence at {page} and set HF_TOKEN (or log in with 'hf auth login') with an account that has access"
    if isinstance(error, RevisionNotFoundError):
        return f"{what}: the repository has no revision '{options.revision}'; check the branch, tag or commit in the spec's 'revision:'"
    if isinstance(error, RepositoryNotFoundError):
        return f"{what} was not found at {constants.ENDPOINT}: check the id (a private repository also needs HF_TOKEN)"
    if isinstance(error, (LocalEntryNotFoundError, OfflineModeIsEnabled)) or constants.HF_HUB_OFFLINE:
        if constants.HF_HUB_OFFLINE:
            return f"{what} is not in the cache ({constants.HF_HUB_CACHE}) and --offline forbids downloading it: run once without --offline"
        return f"cannot reach {constants.ENDPOINT} to fetch {what}, and it is not in the cache: check the network, or use --offline with what the cache holds"
    return f"fetching {what} failed: {error}".splitlines()[0]


def fetch_repository(options):
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

    folder = storage_folder(options.repo_type, options.repo_id)
    before = folder_bytes(os.path.join(folder, "blobs"))
    started = time.monotonic()
    label = options.repo_id
    try:
        snapshot = snapshot_download(
            options.repo_id, repo_type=options.repo_type, revision=options.revision, tqdm_class=progress_bar_class(label))
    except (HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled, OSError) as error:
        raise RunnerError(hub_error(error, options)) from None
    except ValueError as error:  # an id that is not ORG/NAME
        raise RunnerError(f"{described(options)}: {error}".splitlines()[0]) from None
    commit = os.path.basename(snapshot)
    if options.commit and commit != options.commit:
        raise RunnerError(
            f"{described(options)} moved to {commit[:12]} after ablate resolved it to {options.commit[:12]}: start the run again to use the new commit")
    files = snapshot_files(snapshot)
    size = sum(os.path.getsize(path) for path in files)
    downloaded = folder_bytes(os.path.join(folder, "blobs")) - before
    seconds = time.monotonic() - started
    print(f"fetched {label}: {len(files)} files, {human(size)} ({human(max(downloaded, 0))} downloaded) in {seconds:.1f} s", flush=True)
    return snapshot, {"repository": options.repo_id, "type": options.repo_type, "revision": options.revision, "commit": commit,
                      "files": len(files), "bytes": size, "bytes_downloaded": max(downloaded, 0), "seconds": round(seconds, 3)}


def fetch_lm_eval_task(options):
    """Loads the task through the harness (`TaskManager.load`), which downloads its datasets into
    the datasets cache."""
    from .lm_eval import task_manager

    started = time.monotonic()
    print(f"fetching lm-eval task {options.lm_eval_task}'s datasets", flush=True)
    manager = task_manager(options.task_dir, [options.lm_eval_task])
    try:
        tasks = manager.load([options.lm_eval_task])["tasks"].values()
    except Exception as error:  # the harness raises whatever `datasets` raised
        raise RunnerError(f"lm-eval task {options.lm_eval_task}: its datasets could not be fetched: {error}".splitlines()[0]) from None
    datasets = sorted({str(getattr(task.config, "dataset_path", None) or "") for task in tasks} - {""})
    seconds = time.monotonic() - started
    print(f"fetched lm-eval task {options.lm_eval_task}: {', '.join(datasets) or 'no hub dataset'} in {seconds:.1f} s", flush=True)
    return None, {"lm_eval_task": options.lm_eval_task, "datasets": datasets, "seconds": round(seconds, 3)}


def write_outputs(output, snapshot, record):
    os.makedirs(output, exist_ok=True)
    if snapshot is not None:
        link = os.path.join(output, "snapshot")
        if os.path.isdir(link) and not os.path.islink(link):
            os.rmdir(link)  # the empty folder ablate makes for each declared output
        elif os.path.lexists(link):
            os.remove(link)
        os.symlink(snapshot, link)
    temporary = os.path.join(output, f"fetch.json.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, os.path.join(output, "fetch.json"))
    write_metrics(output, {key: record[key] for key in ("files", "bytes", "bytes_downloaded", "seconds") if key in record})


def parser():
    flags = argparse.ArgumentParser(prog="python -m ablate_runners.fetch", description=__doc__.split("\n")[0])
    flags.add_argument("--repo-type", choices=("model", "dataset"))
    flags.add_argument("--repo-id")
    flags.add_argument("--revision", default="main")
    flags.add_argument("--commit", default=None, help="the commit the revision was resolved to when the run was planned")
    flags.add_argument("--lm-eval-task", default=None)
    flags.add_argument("--task-dir", default=None)
    flags.add_argument("--output", required=True)
    return flags


def main():
    flags = parser()
    options = flags.parse_args()
    if options.lm_eval_task is None and (options.repo_type is None or options.repo_id is None):
        flags.error("give --repo-type and --repo-id, or --lm-eval-task")
    try:
        snapshot, record = fetch_lm_eval_task(options) if options.lm_eval_task else fetch_repository(options)
        write_outputs(options.output, snapshot, record)
    except RunnerError as error:
        fail(str(error))


if __name__ == "__main__":
    main()
