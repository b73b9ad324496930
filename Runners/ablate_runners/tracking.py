"""Experiment trackers for the training runners (sft, reward, dpo, ppo): W&B, MLflow and
TensorBoard, as ablate asks for them in the ABLATE_TRACKING environment variable, a JSON object

    {"wandb": {"project": P, "entity": E or null, "mode": "online" | "offline", "dir": DIR} or null,
     "mlflow": {"tracking_uri": URI, "experiment": NAME} or null,
     "tensorboard": {"dir": DIR} or null,
     "run_name": "<study>/<task>", "group": "<study>/<run id>", "tracker_id": ID, "tags": {NAME: VALUE, ...}}

reporting() turns it into the trainer's report_to and run_name and the environment variables
transformers' callbacks read; without the variable (or with `{}`) it is report_to "none", as
before. The variable is not part of the task's command, so turning tracking on retrains nothing.

Every attempt of a task (a retry, a resume from a checkpoint, a Slurm requeue) reports to the same
tracker run: W&B's run id is the tracker id, resumed if it exists (offline, each attempt writes
its own run directory under DIR/wandb with that id, and `wandb sync` joins them); the MLflow run is
the one tagged ablate.tracker_id = ID in the experiment, created by the first attempt and continued
through MLFLOW_RUN_ID; TensorBoard writes every attempt's event file into the same DIR.

Only rank 0 reports. A tracker whose package is not installed, or whose run cannot start (online
W&B without a network, an MLflow server that cannot be reached), is left out with one warning
line on stderr, and the task trains without it. Credentials (WANDB_API_KEY,
MLFLOW_TRACKING_TOKEN, ...) are read by the trackers from the environment; nothing here writes them.
"""

import importlib.util
import json
import os
import re
import sys

from .process_group import is_main_process

VARIABLE = "ABLATE_TRACKING"
# What W&B takes as a run id and an MLflow filter can quote; ablate's ids are [a-z0-9]{16}.
TRACKER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# W&B refuses longer tags; every tag is also in the run's config.
WANDB_TAG_LENGTH = 64
# How often MLflow's client tries the server while the run is looked up: a server that is down
# leaves MLflow out after seconds rather than after the client's default of minutes.
MLFLOW_LOOKUP_RETRIES = "2"


def reporting():
    """The TrainingArguments fields that say where the trainer reports: {"report_to": "none"}
    without tracking (or on a rank other than 0), else the trackers that started, as a list, with
    run_name; the environment variables their callbacks read are set on the way."""
    request = _request()
    if not request or not is_main_process():
        return {"report_to": "none"}
    started = [name for name, start in (("wandb", start_wandb), ("mlflow", start_mlflow), ("tensorboard", start_tensorboard))
               if request.get(name) and start(request[name], request)]
    if not started:
        return {"report_to": "none"}
    return {"report_to": started, "run_name": request.get("run_name")}


def _request():
    text = os.environ.get(VARIABLE, "").strip()
    if not text:
        return {}
    try:
        request = json.loads(text)
    except json.JSONDecodeError as error:
        warn(f"{VARIABLE} is not JSON ({error.msg}); training without trackers")
        return {}
    if not isinstance(request, dict):
        warn(f"{VARIABLE} is not a JSON object; training without trackers")
        return {}
    if request.get("tracker_id") is not None and not TRACKER_ID.fullmatch(str(request["tracker_id"])):
        warn(f"{VARIABLE}'s tracker_id {request['tracker_id']!r} is not letters, digits, '-' and '_'; training without trackers")
        return {}
    return request


def warn(message):
    """One warning line on stderr."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


def _first_line(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _left_out(tracker, cause):
    warn(f"{tracker} tracking is off for this task: {cause}; it trains without {tracker}")
    return False


def _not_installed(tracker, package):
    return _left_out(tracker, f"the package {package} is not installed in the task's environment")


def _set(variables):
    """Sets the variables that have a value (None leaves one as it is); returns what they were, for _restore."""
    previous = {name: os.environ.get(name) for name, value in variables.items() if value is not None}
    os.environ.update({name: str(value) for name, value in variables.items() if value is not None})
    return previous


def _restore(previous):
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def tags(request):
    """The run's tags, all strings, with the group and the tracker id."""
    values = {str(name): str(value) for name, value in (request.get("tags") or {}).items()}
    if request.get("group"):
        values.setdefault("ablate.group", str(request["group"]))
    if request.get("tracker_id"):
        values.setdefault("ablate.tracker_id", str(request["tracker_id"]))
    return values


def wandb_config(values):
    """The tags as a nested W&B config ({"ablate": {"study": ...}, "sweep": {"lr": ...}}), which W&B filters and groups by."""
    config = {}
    for name, value in values.items():
        head, _, rest = name.partition(".")
        config.setdefault(head if rest else "ablate", {})[rest or head] = value
    return config


def start_wandb(settings, request):
    """Starts (or resumes) the task's W&B run, which WandbCallback then logs to; whether it started."""
    if importlib.util.find_spec("wandb") is None:
        return _not_installed("W&B", "wandb")
    values = tags(request)
    directory = settings.get("dir") or os.getcwd()
    variables = {
        "WANDB_PROJECT": settings.get("project"), "WANDB_ENTITY": settings.get("entity"), "WANDB_MODE": settings.get("mode") or "online",
        "WANDB_DIR": directory, "WANDB_NAME": request.get("run_name"), "WANDB_RUN_GROUP": request.get("group"),
        "WANDB_JOB_TYPE": values.get("ablate.stage"), "WANDB_RUN_ID": request.get("tracker_id"),
        "WANDB_RESUME": "allow" if request.get("tracker_id") else None,
    }
    short = [f"{name}={value}" for name, value in values.items() if len(f"{name}={value}") <= WANDB_TAG_LENGTH and "," not in f"{name}={value}"]
    previous = {}
    try:
        import wandb

        os.makedirs(directory, exist_ok=True)
        previous = _set({**variables, "WANDB_TAGS": ",".join(short) or None})
        wandb.init(
            project=variables["WANDB_PROJECT"], entity=variables["WANDB_ENTITY"], mode=variables["WANDB_MODE"], dir=directory,
            name=variables["WANDB_NAME"], group=variables["WANDB_RUN_GROUP"], job_type=variables["WANDB_JOB_TYPE"],
            id=variables["WANDB_RUN_ID"], resume=variables["WANDB_RESUME"], tags=short, config=wandb_config(values),
        )
    except ImportError as error:
        _restore(previous)
        return _not_installed("W&B", getattr(error, "name", None) or "wandb")
    except Exception as error:  # W&B raises its own errors and those of the network
        _restore(previous)
        return _left_out("W&B", f"its run did not start ({_first_line(error)})")
    return True


def start_mlflow(settings, request):
    """Finds the task's MLflow run (tagged ablate.tracker_id) or creates it once, and points
    MLflowCallback at it through MLFLOW_RUN_ID; whether that worked."""
    if importlib.util.find_spec("mlflow") is None:
        return _not_installed("MLflow", "mlflow")
    uri, experiment = settings.get("tracking_uri"), settings.get("experiment") or "Default"
    values = tags(request)
    retries = _set({"MLFLOW_HTTP_REQUEST_MAX_RETRIES": MLFLOW_LOOKUP_RETRIES})
    try:
        from mlflow import MlflowClient

        run_id = tracker_run(MlflowClient(tracking_uri=uri), experiment, request.get("tracker_id"), request.get("run_name"), values)
    except ImportError as error:
        return _not_installed("MLflow", getattr(error, "name", None) or "mlflow")
    except Exception as error:  # MLflow raises its own errors and those of the network or the database
        return _left_out("MLflow", f"its run at {uri} did not start ({_first_line(error)})")
    finally:
        _restore(retries)
    _set({"MLFLOW_TRACKING_URI": uri, "MLFLOW_EXPERIMENT_NAME": experiment, "MLFLOW_RUN_ID": run_id, "MLFLOW_TAGS": json.dumps(values)})
    return True


def tracker_run(client, experiment, tracker_id, run_name, values):
    """The id of the active MLflow run tagged ablate.tracker_id = tracker_id in the experiment
    (created, with the experiment if need be, when there is none): MLflow has no run ids of the
    caller's choosing, so the tag is how every attempt finds the first one's run."""
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found is not None else client.create_experiment(experiment)
    if tracker_id:
        runs = client.search_runs([experiment_id], filter_string=f"tags.`ablate.tracker_id` = '{tracker_id}'",
                                  order_by=["attributes.start_time ASC"], max_results=1)
        if runs:
            return runs[0].info.run_id
    return client.create_run(experiment_id, run_name=run_name, tags=values).info.run_id


def start_tensorboard(settings, request):
    """Points TensorBoardCallback at the given directory, the same for every attempt; whether TensorBoard can write."""
    if importlib.util.find_spec("tensorboard") is None and importlib.util.find_spec("tensorboardX") is None:
        return _not_installed("TensorBoard", "tensorboard")
    directory = settings.get("dir")
    if not directory:
        return _left_out("TensorBoard", "no directory was given for its event files")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        return _left_out("TensorBoard", f"its directory {directory} cannot be made ({error.strerror})")
    _set({"TENSORBOARD_LOGGING_DIR": directory})
    return True
