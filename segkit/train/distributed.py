"""torchrun / DDP: the process's rank and device, and the few collectives training
and evaluation need.

``torchrun --nproc_per_node N -m segkit train ...`` sets RANK, WORLD_SIZE and
LOCAL_RANK; :func:`setup` then joins the process group (gloo on CPU, nccl on CUDA).
Without those variables everything runs in one process and the collectives are no-ops.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass

from segkit.errors import InputError, SegkitError, SourceLoc

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



DEFAULT_TIMEOUT_S = 600.0
"""How long a collective (gradient all-reduce, barrier, ...) waits for every process
before failing (``--ddp-timeout``): a stopped or hung peer then ends the run with a
message instead of leaving the others waiting forever. Generous, because a rank may
be saving a checkpoint or validating while the others wait at a barrier."""


class PeerError(SegkitError):
    """A process of a torchrun job died or stopped responding."""


@dataclass
class DistEnv:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: str = "cpu"
    initialized: bool = False

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def pick_device(device: str | None) -> str:
    """``cpu``, ``cuda`` (or ``cuda:N``), or None for CUDA when available."""
    import torch

    if device in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("--device cuda was asked for but no CUDA device is available", SourceLoc("--device"),
                         "use --device cpu")
    if device != "cpu" and not device.startswith("cuda"):
        raise InputError(f"--device takes cpu or cuda, got {device!r}", SourceLoc("--device"))
    return device


def setup(device: str | None, timeout_s: float = DEFAULT_TIMEOUT_S) -> DistEnv:
    """The process's DistEnv; joins the process group when launched by torchrun, with
    collectives that fail after ``timeout_s`` seconds without every peer."""
    from datetime import timedelta

    import torch
    import torch.distributed as dist

    device = pick_device(device)
    if not launched_by_torchrun() or int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return DistEnv(device=device)
    rank = int(os.environ["RANK"])
    world = int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device.startswith("cuda"):
        torch.cuda.set_device(local_rank)
        device = f"cuda:{local_rank}"
        backend = "nccl"
    else:
        backend = "gloo"
    if not dist.is_initialized():
        with peers_checked(DistEnv(rank, world, local_rank, device, True), timeout_s):
            dist.init_process_group(backend=backend, timeout=timedelta(seconds=timeout_s))
    return DistEnv(rank, world, local_rank, device, True)


def check_timeout(timeout_s: float) -> float:
    """``--ddp-timeout``: a positive, finite number of seconds."""
    if not 0 < timeout_s < float("inf"):
        raise InputError(f"--ddp-timeout takes a positive number of seconds, got {timeout_s}", SourceLoc("--ddp-timeout"))
    return timeout_s


@contextmanager
def peers_checked(env: DistEnv, timeout_s: float):
    """Turn the RuntimeError of a collective whose peer died or stalled into a
    PeerError saying so (in a multi-process run; other errors pass unchanged)."""
    try:
        yield
    except RuntimeError as exc:
        error = peer_error(exc, env, timeout_s)
        if error is None:
            raise
        raise error from None


def peer_error(exc: BaseException, env: DistEnv, timeout_s: float) -> PeerError | None:
    """The PeerError that ``exc`` (from gloo, NCCL or the rendezvous store) means, or
    None when it is not about a peer."""
    if not env.distributed:
        return None
    text = str(exc).strip()
    low = text.lower()
    first = text.splitlines()[0] if text else type(exc).__name__
    if "timed out" in low or "timeout" in low:
        return PeerError(f"rank {env.rank} of {env.world}: a peer process stopped responding (no answer within "
                         f"--ddp-timeout {timeout_s:g} s): {first}", SourceLoc("--ddp-timeout"),
                         "see the other ranks' output: one is stopped, hung or much slower; raise --ddp-timeout "
                         "if a rank legitimately needs longer (e.g. a slow checkpoint save)")
    if any(word in low for word in ("connection closed", "connection reset", "broken pipe", "remote worker crash")):
        return PeerError(f"rank {env.rank} of {env.world}: a peer process died: {first}", SourceLoc("torchrun"),
                         "see the other ranks' output for the first error; resume with --resume once it is fixed")
    return None


def cleanup(env: DistEnv) -> None:
    import torch.distributed as dist

    if env.initialized and dist.is_initialized():
        dist.destroy_process_group()


def barrier(env: DistEnv) -> None:
    import torch.distributed as dist

    if env.initialized:
        dist.barrier()


def all_reduce_sum(tensor, env: DistEnv):
    """Sum ``tensor`` over processes in place (returns it)."""
    import torch.distributed as dist

    if env.initialized:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def broadcast_object(obj, env: DistEnv):
    """Rank 0's ``obj`` on every process."""
    import torch.distributed as dist

    if not env.initialized:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def shard(length: int, env: DistEnv) -> list[int]:
    """This process's sample indices for evaluation: ``rank, rank + world, ...``. Every
    sample is seen exactly once (no padding duplicates, unlike DistributedSampler), so
    summed confusion matrices equal a single-process run's."""
    return list(range(env.rank, length, env.world))
