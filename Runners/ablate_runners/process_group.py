"""The processes of a multi-process stage (ablate_runners.launch starts them through torchrun,
which gives each its RANK, LOCAL_RANK and WORLD_SIZE): which one this is, and the few collective
steps the runners need. Alone (no torchrun), this process is rank 0 of 1 and every step is trivial.

The Trainer starts the process group itself; the sampling runners start it with join(): NCCL on
CUDA GPUs (each process on the GPU of its LOCAL_RANK), gloo on CPU.
"""

import os


def world_size():
    """How many processes work together (torchrun's WORLD_SIZE; 1 alone)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def rank():
    """This process's rank among them (0 alone)."""
    return int(os.environ.get("RANK", "0"))


def local_rank():
    """Its rank on this machine, which picks its GPU (0 alone)."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_main_process():
    """Whether this is rank 0, the process that writes what the task produces (also when alone)."""
    return rank() == 0


def join():
    """Starts the process group, once, when there are several processes (nothing alone)."""
    import torch
    import torch.distributed as distributed

    if world_size() == 1 or distributed.is_initialized():
        return
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank())
        distributed.init_process_group(backend="nccl")
    else:
        distributed.init_process_group(backend="gloo")


def _device():
    import torch
    import torch.distributed as distributed

    return torch.device("cuda", torch.cuda.current_device()) if distributed.get_backend() == "nccl" else torch.device("cpu")


def _together():
    import torch.distributed as distributed

    return world_size() > 1 and distributed.is_initialized()


def any_rank(*flags):
    """For each flag, whether it holds on any rank (on this one alone when alone), in one
    all-reduce: every rank calls it at the same point."""
    if not _together():
        return flags
    import torch
    import torch.distributed as distributed

    values = torch.tensor([1 if flag else 0 for flag in flags], device=_device())
    distributed.all_reduce(values, op=distributed.ReduceOp.MAX)
    return tuple(bool(value) for value in values.tolist())


def wait_for_every_rank():
    """A barrier across the ranks (nothing alone)."""
    if _together():
        import torch.distributed as distributed

        distributed.barrier()


def gather(value):
    """Every rank's `value` (any picklable object), in rank order, on every rank; [value] alone."""
    if not _together():
        return [value]
    import torch.distributed as distributed

    gathered = [None] * world_size()
    distributed.all_gather_object(gathered, value)
    return gathered
