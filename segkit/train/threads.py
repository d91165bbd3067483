"""Intra-op CPU threads of train/eval/predict, chosen not to oversubscribe the cores.

torch uses one intra-op thread per core by default, in every process; with DataLoader
workers (each a process) or several torchrun processes on one machine, the threads
then outnumber the cores and fight over them (issue 13: the quick start on a busy
two-core machine took 211 s with the defaults, 59.5 s with one thread). The default
here keeps ``threads x workers x local processes <= cores``; ``--threads N`` sets it,
and so does ``OMP_NUM_THREADS`` (the user's choice, left as it is).
"""
from __future__ import annotations

import os

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.

THREADS_HELP = ("Intra-op CPU threads per process [default: OMP_NUM_THREADS if set, else the usable cores "
                "divided by the DataLoader workers and the local processes, at least 1, so that they do not "
                "oversubscribe the cores].")


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, else the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_threads(workers: int, processes: int, cores: int) -> int:
    """Threads per process with ``threads x max(1, workers) x processes <= cores``."""
    return max(1, cores // (max(1, workers) * max(1, processes)))


def local_processes() -> int:
    """Processes of this job on this machine (torchrun's LOCAL_WORLD_SIZE, else 1)."""
    try:
        return max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    except ValueError:
        return 1


def set_threads(requested: int | None, workers: int) -> int:
    """Set torch's intra-op threads: ``requested``, else OMP_NUM_THREADS's (already in
    effect), else :func:`default_threads`. Returns the number in effect."""
    import torch

    if requested is None and os.environ.get("OMP_NUM_THREADS"):
        return torch.get_num_threads()
    threads = requested or default_threads(workers, local_processes(), usable_cores())
    torch.set_num_threads(threads)
    return threads
