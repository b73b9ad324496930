"""Exports a run's tasks from ablate's index to MLflow, one MLflow run per task, idempotently.

    python -m ablate_runners.export_mlflow EXPORT.json --tracking-uri URI [--experiment NAME]

EXPORT.json, which `ablate export mlflow RUN` writes from the run's index:

    {"study": S, "run": RUN, "experiment": NAME,
     "tasks": [{"task": ID, "stage": STAGE, "kind": KIND, "state": STATE, "fingerprint": FP, "tags": {NAME: VALUE},
                "params": {NAME: "value"}, "metrics": {NAME: number or null}, "series": {NAME: [[step, value], ...]},
                "artifacts": {NAME: "/absolute/path"}}]}

Each task is the MLflow run of the experiment (--experiment, else the file's, created if need be)
tagged ablate.run = RUN and ablate.task = ID, named `<study>/<task>` and tagged with ablate.study,
ablate.stage, ablate.kind, ablate.state, ablate.fingerprint, the task's own tags (its sweep values)
and ablate.artifact.NAME = the path of each artifact (paths only: no file is copied). Its params
and scalar metrics (a null is left out) and every point of its series, at its step, are logged
through MLflow's client; the state sets the run's status (completed and cached: FINISHED,
failed: FAILED, interrupted and skipped: KILLED, running: RUNNING, pending: SCHEDULED).

Exporting again changes nothing that is already there: a param, a tag or a point of a series
already logged is not logged twice, so the same run exported twice leaves one MLflow run per task
with the same params, metrics and histories. What is new (a resumed run's further steps and
metrics, a changed state) is added to the task's run; a scalar whose value changed is logged
again at the latest step, which makes it the run's value. A task whose fingerprint changed is
another version of the task: it gets a new MLflow run, and the run of the old version is deleted
(MLflow keeps deleted runs until `mlflow gc`). A run that live tracking made for the task
(tracking.py, with the same tags) is the one the export adds to, so the task stays one run.
Names MLflow does not take (a comma, brackets) have those characters replaced by '_', as
transformers' MLflowCallback does.

Prints `exported N tasks to experiment E at URI (C created, U updated, K unchanged)` (with `; D runs
of an earlier version of their task deleted` when there are), after a warning line for each param
MLflow already holds with another value; exits 1 with one line on a file it cannot read or a
tracking server it cannot reach.
"""

import argparse
import json
import math
import posixpath
import re
import sys
import time

from .common import RunnerError, fail

STATUS = {"completed": "FINISHED", "cached": "FINISHED", "failed": "FAILED", "interrupted": "KILLED", "skipped": "KILLED",
          "running": "RUNNING", "pending": "SCHEDULED"}
TERMINAL = {"FINISHED", "FAILED", "KILLED"}
ARTIFACT_TAG = "ablate.artifact."
# Per log_batch call, as MLflow's validation allows.
BATCH_METRICS, BATCH_PARAMS_TAGS = 1000, 100
MAX_VALUE_LENGTH = 6000


def parser():
    flags = argparse.ArgumentParser(description="Export a run's tasks to MLflow, one MLflow run per task.")
    flags.add_argument("export", metavar="EXPORT.json", help="the export ablate wrote from the run's index")
    flags.add_argument("--tracking-uri", required=True, help="the MLflow tracking URI: http(s)://server, sqlite:///path/mlflow.db, databricks, ...")
    flags.add_argument("--experiment", help="the MLflow experiment (default: the file's experiment)")
    return flags


def mlflow_name(name):
    """`name` as MLflow takes it for a metric, param or tag key: other characters become '_'."""
    cleaned = re.sub(r"[^/\w.\- :]", "_", str(name))
    if posixpath.normpath(cleaned) != cleaned or cleaned.startswith((".", "/")):
        cleaned = cleaned.replace("/", "_").lstrip(".") or "_"
    return cleaned[:250]


def read_export(path):
    """The export document, its shape checked: each problem is one line naming where it is."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise RunnerError(f"{path} not found") from None
    except json.JSONDecodeError as error:
        raise RunnerError(f"{path}:{error.lineno}: not JSON ({error.msg})") from None
    if not isinstance(document, dict) or not isinstance(document.get("tasks"), list):
        raise RunnerError(f"{path}: expected an object with 'study', 'run' and a 'tasks' list")
    for key in ("study", "run"):
        if not isinstance(document.get(key), str) or not document[key]:
            raise RunnerError(f"{path}: '{key}' must be a non-empty string")
    if "'" in document["run"]:
        raise RunnerError(f"{path}: the run id {document['run']!r} holds a quote, which an MLflow search cannot match")
    for index, task in enumerate(document["tasks"]):
        where = f"{path}: tasks[{index}]"
        if not isinstance(task, dict) or not isinstance(task.get("task"), str) or not task["task"]:
            raise RunnerError(f"{where}: expected an object with a 'task' id")
        for key in ("tags", "params", "metrics", "series", "artifacts"):
            if not isinstance(task.get(key, {}), dict):
                raise RunnerError(f"{where}.{key}: expected an object")
        for name, value in task.get("metrics", {}).items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise RunnerError(f"{where}.metrics.{name}: expected a number or null, found {value!r}")
        for name, points in task.get("series", {}).items():
            if not isinstance(points, list) or not all(_is_point(point) for point in points):
                raise RunnerError(f"{where}.series.{name}: expected a list of [step, number or null] pairs")
    return document


def _is_point(point):
    return (isinstance(point, list) and len(point) == 2 and isinstance(point[0], int) and not isinstance(point[0], bool)
            and (point[1] is None or (isinstance(point[1], (int, float)) and not isinstance(point[1], bool))))


def wanted(document, task):
    """What the task's MLflow run should hold: (name, tags, params, scalars, series)."""
    name = f"{document['study']}/{task['task']}"
    tags = {mlflow_name(key): str(value) for key, value in task.get("tags", {}).items()}
    tags.update({"ablate.study": document["study"], "ablate.run": document["run"], "ablate.task": task["task"],
                 "mlflow.runName": name})
    for key in ("stage", "kind", "state", "fingerprint"):
        if task.get(key) is not None:
            tags[f"ablate.{key}"] = str(task[key])
    for artifact, path in task.get("artifacts", {}).items():
        tags[ARTIFACT_TAG + mlflow_name(artifact)] = str(path)
    tags = {key: value[:8000] for key, value in tags.items()}
    params = {mlflow_name(key): str(value)[:MAX_VALUE_LENGTH] for key, value in task.get("params", {}).items()}
    series = {}
    for key, points in task.get("series", {}).items():
        by_step = {step: float(value) for step, value in points if value is not None and not math.isnan(value)}
        series[mlflow_name(key)] = sorted(by_step.items())
    scalars = {mlflow_name(key): float(value) for key, value in task.get("metrics", {}).items()
               if value is not None and not math.isnan(value) and mlflow_name(key) not in series}
    return name, tags, params, scalars, series


def same_value(logged, value):
    """Whether a logged param equals the one to log: as text, or as the same number written
    another way (1e-3 and 0.001, as transformers' callback logs a float)."""
    if logged == value:
        return True
    try:
        return float(logged) == float(value)
    except ValueError:
        return False


class Exporter:
    """Brings each task's MLflow run up to what the export holds."""

    def __init__(self, client, experiment_id):
        self.client = client
        self.experiment_id = experiment_id
        self.warnings = []
        self.deleted = 0

    def existing_runs(self, run):
        """{task id: [active MLflow runs tagged with this ablate run and task, oldest first]}."""
        found, token = {}, None
        while True:
            page = self.client.search_runs([self.experiment_id], filter_string=f"tags.`ablate.run` = '{run}'", max_results=1000,
                                           order_by=["attributes.start_time ASC"], page_token=token)
            for candidate in page:
                found.setdefault(candidate.data.tags.get("ablate.task"), []).append(candidate)
            token = page.token
            if not token:
                return found

    def export(self, document, task, candidates):
        """Creates or updates the task's run; returns "created", "updated" or "unchanged"."""
        name, tags, params, scalars, series = wanted(document, task)
        current = [run for run in candidates if run.data.tags.get("ablate.fingerprint") == tags.get("ablate.fingerprint")]
        keep = current[0] if current else None
        for superseded in candidates:
            if keep is None or superseded.info.run_id != keep.info.run_id:
                self.client.delete_run(superseded.info.run_id)
                self.deleted += 1
        if keep is None:
            run_id = self.client.create_run(self.experiment_id, run_name=name, tags=tags).info.run_id
            outcome = "created"
            logged_tags, logged_params, latest, status = tags, {}, {}, "RUNNING"
        else:
            run_id, outcome = keep.info.run_id, "unchanged"
            logged_tags, logged_params, latest, status = keep.data.tags, keep.data.params, keep.data.metrics, keep.info.status
        new_tags = [(key, value) for key, value in tags.items() if logged_tags.get(key) != value]
        new_params = []
        for key, value in params.items():
            if key not in logged_params:
                new_params.append((key, value))
            elif not same_value(logged_params[key], value):
                self.warnings.append(f"{task['task']}: param {key} is {logged_params[key]!r} in MLflow and {value!r} in the index; "
                                     "MLflow keeps a param's first value")
        points = self.new_points(run_id, series, scalars, latest, fresh=keep is None)
        if new_tags or new_params or points:
            self.log(run_id, new_tags, new_params, points)
            outcome = "updated" if outcome == "unchanged" else outcome
        wanted_status = STATUS.get(task.get("state"))
        if wanted_status is not None and wanted_status != status:
            if wanted_status in TERMINAL:
                self.client.set_terminated(run_id, wanted_status)
            else:
                self.client.update_run(run_id, status=wanted_status)
            outcome = "updated" if outcome == "unchanged" else outcome
        return outcome

    def new_points(self, run_id, series, scalars, latest, fresh):
        """The (key, value, step) points not logged yet: a series' missing (step, value) pairs, and
        each scalar whose run value differs, at the key's latest step."""
        points = []
        for key, wanted_points in series.items():
            logged = set() if fresh else {(metric.step, metric.value) for metric in self.client.get_metric_history(run_id, key)}
            points += [(key, value, step) for step, value in wanted_points if (step, value) not in logged]
        for key, value in scalars.items():
            if latest.get(key) == value:
                continue
            steps = [] if fresh or key not in latest else [metric.step for metric in self.client.get_metric_history(run_id, key)]
            points.append((key, value, max(steps, default=0)))
        return points

    def log(self, run_id, tags, params, points):
        from mlflow.entities import Metric, Param, RunTag

        now = int(time.time() * 1000)
        for start in range(0, len(tags), BATCH_PARAMS_TAGS):
            self.client.log_batch(run_id, tags=[RunTag(key, value) for key, value in tags[start:start + BATCH_PARAMS_TAGS]], synchronous=True)
        for start in range(0, len(params), BATCH_PARAMS_TAGS):
            self.client.log_batch(run_id, params=[Param(key, value) for key, value in params[start:start + BATCH_PARAMS_TAGS]], synchronous=True)
        for start in range(0, len(points), BATCH_METRICS):
            metrics = [Metric(key, value, now, step) for key, value, step in points[start:start + BATCH_METRICS]]
            self.client.log_batch(run_id, metrics=metrics, synchronous=True)


def experiment_id(client, name):
    found = client.get_experiment_by_name(name)
    if found is None:
        return client.create_experiment(name)
    if found.lifecycle_stage == "deleted":
        raise RunnerError(f"the MLflow experiment {name!r} is deleted: restore it (mlflow experiments restore) or export to another --experiment")
    return found.experiment_id


def export(document, tracking_uri, experiment):
    """Exports every task; returns (counts by outcome and of runs deleted, warnings)."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    exporter = Exporter(client, experiment_id(client, experiment))
    existing = exporter.existing_runs(document["run"])
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for task in document["tasks"]:
        counts[exporter.export(document, task, existing.get(task["task"], []))] += 1
    counts["deleted"] = exporter.deleted
    return counts, exporter.warnings


def main():
    arguments = parser().parse_args()
    try:
        document = read_export(arguments.export)
        experiment = arguments.experiment or document.get("experiment") or document["study"]
        try:
            counts, warnings = export(document, arguments.tracking_uri, experiment)
        except ImportError as error:
            raise RunnerError(f"the package {error.name or 'mlflow'} is not installed in this environment; "
                              "install the runners' environment (Runners/environments/runners.txt)") from None
        except RunnerError:
            raise
        except Exception as error:  # MLflow raises its own errors and those of the network or the database
            text = str(error).strip().splitlines()
            raise RunnerError(f"MLflow at {arguments.tracking_uri}: {type(error).__name__}: {text[0] if text else ''}") from None
    except RunnerError as error:
        fail(str(error))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    deleted = counts["deleted"]
    replaced = f"; {deleted} run{'' if deleted == 1 else 's'} of an earlier version of {'its' if deleted == 1 else 'their'} task deleted" if deleted else ""
    print(f"exported {len(document['tasks'])} tasks to experiment {experiment} at {arguments.tracking_uri} "
          f"({counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged{replaced})", flush=True)


if __name__ == "__main__":
    main()
