"""torchrun / DDP: the process's rank and device, and the few collectives training
and evaluation need.

``torchrun --nproc_per_node N -m segkit train ...`` sets RANK, WORLD_SIZE and
LOCAL_RANK; :func:`setup` then joins the process group (gloo on CPU, nccl on CUDA).
Without those variables everything runs in one process and the collectives are no-ops.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from segkit.errors import InputError, SourceLoc

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



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


def setup(device: str | None) -> DistEnv:
    """The process's DistEnv; joins the process group when launched by torchrun."""
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
        dist.init_process_group(backend=backend)
    return DistEnv(rank, world, local_rank, device, True)


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
