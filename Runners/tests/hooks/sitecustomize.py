"""Test hooks for the trainers, imported by every Python process whose path holds this directory.
ABLATE_TEST_PAUSE_AT_STEP=S makes a trainer stop itself (SIGSTOP) before its step S, so that a test
kills it at a known step rather than wherever a poll happens to see it. For one rank of a
multi-process stage: ABLATE_TEST_FAILING_RANK=R makes rank R's training step raise;
ABLATE_TEST_SIGNALLING_RANK=R makes rank R, before its step S (ABLATE_TEST_SIGNAL_STEP), send SIGUSR2
to its launcher, as Slurm does before a job's time limit. ABLATE_TEST_HIDDEN_MODULES=a,b makes those
packages look not installed (imports fail, importlib finds no spec), as in an environment without them."""

import os
import signal
import sys

RANK = os.environ.get("RANK")


def _patch_training_step(before_step):
    import transformers

    original = transformers.Trainer.training_step

    def training_step(self, *arguments, **keywords):
        before_step(self.state.global_step + 1)
        return original(self, *arguments, **keywords)

    transformers.Trainer.training_step = training_step


if "ABLATE_TEST_PAUSE_AT_STEP" in os.environ:
    _pause_step = int(os.environ["ABLATE_TEST_PAUSE_AT_STEP"])

    def _pause(step):
        if step == _pause_step:
            os.kill(os.getpid(), signal.SIGSTOP)

    _patch_training_step(_pause)

if RANK is not None and RANK == os.environ.get("ABLATE_TEST_FAILING_RANK"):
    def _fail(step):
        raise RuntimeError(f"rank {RANK} lost its device at step {step}")

    _patch_training_step(_fail)

if RANK is not None and RANK == os.environ.get("ABLATE_TEST_SIGNALLING_RANK"):
    _signal_step = int(os.environ.get("ABLATE_TEST_SIGNAL_STEP", "3"))

    def _signal_launcher(step):
        if step == _signal_step:
            os.kill(os.getppid(), signal.SIGUSR2)

    _patch_training_step(_signal_launcher)

for _hidden in filter(None, os.environ.get("ABLATE_TEST_HIDDEN_MODULES", "").split(",")):
    sys.modules[_hidden] = None
