"""Runs a runner as several processes, one per GPU, through PyTorch's own launcher (torchrun,
`torch.distributed.run`): a trainer data-parallel (DDP) unless its --distributed-strategy asks for
FSDP or DeepSpeed, a sampler with its batches shared out (sampling.py).

    python -m ablate_runners.launch --nodes N --processes-per-node P MODULE [ARGS...]

runs `python -m ablate_runners.rank MODULE ARGS` as P processes on this machine. With one node the
rendezvous is torchrun's standalone one (a free local port). With several (a Slurm job of N nodes,
one launcher per node started by `srun`) the rendezvous is torchrun's c10d store on the job's first
node (the first host of `scontrol show hostnames $SLURM_JOB_NODELIST`), at a port derived from the
job id so that two jobs sharing a node do not meet, keyed by the job id.

A failure of any rank ends every rank (torchrun stops the others) and the launcher's last line is
that rank's error, `error: rank 1 of 4 failed (exit code 1): RunnerError: ...`, read from the error
file the rank wrote (ablate_runners.rank records it); its exit status is the rank's. Signals
(SIGTERM, SIGINT, SIGHUP, SIGQUIT and Slurm's SIGUSR1/SIGUSR2) are passed on to every rank, which
agree on the step to stop at, save a checkpoint and exit with CHECKPOINTED_EXIT; the launcher then
exits with CHECKPOINTED_EXIT too, so that ablate runs the task again from that checkpoint. torchrun
waits for the ranks as long as ablate's own limits allow (SHUTDOWN_SECONDS).
"""

import argparse
import os
import signal
import subprocess
import sys

from .common import RunnerError, fail
from .training import CHECKPOINTED_EXIT, resume_point

SIGNALS = "SIGTERM,SIGINT,SIGHUP,SIGQUIT,SIGUSR1,SIGUSR2"
# How long torchrun waits for the ranks after a signal before it kills them: longer than any
# grace ablate or Slurm gives, so that theirs is the limit that counts.
SHUTDOWN_SECONDS = 3600


def parser():
    flags = argparse.ArgumentParser(description="Run a runner as one process per GPU (torchrun).")
    flags.add_argument("--nodes", type=int, default=1, help="machines the task spans (a Slurm job of that many nodes)")
    flags.add_argument("--processes-per-node", type=int, required=True, help="processes on each machine, one per GPU")
    flags.add_argument("module", help="the runner to run, as in python -m ablate_runners.MODULE")
    flags.add_argument("arguments", nargs=argparse.REMAINDER, help="the runner's own flags")
    return flags


def torchrun_arguments(arguments, rendezvous):
    """torchrun's flags for the launch: `rendezvous` is None for a single node, else (host, port, id)."""
    flags = [f"--nnodes={arguments.nodes}", f"--nproc-per-node={arguments.processes_per_node}", "--max-restarts=0",
             f"--signals-to-handle={SIGNALS}", f"--shutdown-timeout={SHUTDOWN_SECONDS}"]
    if rendezvous is None:
        flags.append("--standalone")
    else:
        host, port, identifier = rendezvous
        flags += ["--rdzv-backend=c10d", f"--rdzv-endpoint={host}:{port}", f"--rdzv-id={identifier}"]
    return flags + ["--module", f"{__package__}.rank"]


def torchrun_configuration(torchrun, arguments, rendezvous):
    """torchrun's parsed arguments: its own flags parsed by its parser, and the runner's command
    line set as they are (torchrun's parser would take a runner's --n for one of its own flags)."""
    parsed = torchrun.parse_args(torchrun_arguments(arguments, rendezvous))
    parsed.training_script_args = [arguments.module] + arguments.arguments
    return parsed


def slurm_rendezvous(environment):
    """(host, port, id) of a multi-node rendezvous inside a Slurm job."""
    nodes, job = environment.get("SLURM_JOB_NODELIST"), environment.get("SLURM_JOB_ID")
    if not nodes or not job:
        raise RunnerError("a task on several nodes runs inside a Slurm job (SLURM_JOB_NODELIST and SLURM_JOB_ID are not set): "
                          "run it with the Slurm executor, or set resources.nodes to 1")
    try:
        hosts = subprocess.run(["scontrol", "show", "hostnames", nodes], capture_output=True, text=True, check=True).stdout.split()
    except OSError as error:
        raise RunnerError(f"cannot read the job's hosts with scontrol show hostnames {nodes}: {error.strerror}") from None
    except subprocess.CalledProcessError as error:
        cause = (error.stderr.strip().splitlines() or [f"exit status {error.returncode}"])[-1]
        raise RunnerError(f"cannot read the job's hosts with scontrol show hostnames {nodes}: {cause}") from None
    if not hosts:
        raise RunnerError(f"scontrol show hostnames {nodes} named no host")
    return hosts[0], 20_000 + int(job) % 20_000, job


def failure_line(error, world_size):
    """The line that names the rank whose failure came first and its own error."""
    rank, failure = error.get_first_failure()
    if failure.exitcode < 0:
        cause = f"killed by {signal.Signals(-failure.exitcode).name}"
    else:
        # torch keeps the recorded {"message": ..., "extraInfo": ...} as it is, or its text.
        message = failure.message.get("message", "") if isinstance(failure.message, dict) else failure.message
        recorded = failure.error_file_data and "message" in failure.error_file_data
        cause = f"exit code {failure.exitcode}" + (f": {message}" if recorded and message else " (its log is above)")
    return f"rank {rank} of {world_size} failed ({cause})"


def exit_status(error):
    """The rank's own exit status, CHECKPOINTED_EXIT when every failed rank stopped at a checkpoint."""
    if all(failure.exitcode == CHECKPOINTED_EXIT for failure in error.failures.values()):
        return CHECKPOINTED_EXIT
    _, failure = error.get_first_failure()
    return failure.exitcode if 0 < failure.exitcode < 256 else 1


def main():
    arguments = parser().parse_args()
    if arguments.nodes < 1 or arguments.processes_per_node < 1:
        fail("--nodes and --processes-per-node must be at least 1")
    try:
        rendezvous = slurm_rendezvous(os.environ) if arguments.nodes > 1 else None
    except RunnerError as error:
        fail(str(error))
    from torch.distributed import run as torchrun
    from torch.distributed.elastic.multiprocessing import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError

    checkpoint_before = resume_point()
    try:
        torchrun.run(torchrun_configuration(torchrun, arguments, rendezvous))
    except ChildFailedError as error:
        if exit_status(error) == CHECKPOINTED_EXIT:
            sys.exit(CHECKPOINTED_EXIT)
        print(f"error: {failure_line(error, arguments.nodes * arguments.processes_per_node)}", file=sys.stderr, flush=True)
        sys.exit(exit_status(error))
    except SignalException as error:
        # The ranks had the signal too; those with a checkpoint policy saved one before exiting.
        if resume_point() not in (None, checkpoint_before):
            sys.exit(CHECKPOINTED_EXIT)
        print(f"stopped by {signal.Signals(error.sigval).name}", file=sys.stderr, flush=True)
        sys.exit(128 + error.sigval)


if __name__ == "__main__":
    main()
