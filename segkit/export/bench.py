"""``segkit bench``'s measurements: latency (median, p90), throughput and peak memory of
a compiled spec's forward pass (eval, ``torch.inference_mode``) and forward + backward
pass (train mode, loss = sum of the means of every output, training heads included).

Peak memory is the memory a phase adds on top of what was allocated before it:

- CUDA: ``torch.cuda.max_memory_allocated()`` after ``reset_peak_memory_stats()``,
  minus the memory allocated at the start (weights, inputs); tensors only, not the
  caching allocator's reserve or the CUDA context.
- CPU: tracemalloc does not see torch's allocations, so the process's resident set is
  used: the kernel's high-water mark ``VmHWM`` of ``/proc/self/status`` is reset by
  writing 5 to ``/proc/self/clear_refs`` (Linux >= 4.0) before the phase, and the
  phase's peak is VmHWM after it minus VmRSS before it. It counts everything the
  process touches (allocator slack, oneDNN scratch buffers, thread stacks), and memory
  the allocator kept from an earlier phase is reused without showing up. Where
  clear_refs cannot be written (not Linux, restricted /proc) the fallback is the rise of
  ``resource.getrusage().ru_maxrss``, which only shows a phase that goes above every
  earlier peak of the process (so run one configuration per process to compare).
"""
from __future__ import annotations

import contextlib
import gc
import math
import re
import statistics
import time
from dataclasses import dataclass

import torch

from segkit.export.exporters import flatten


@dataclass
class Measurement:
    """One phase: per-iteration times in seconds, the batch size and the peak memory."""

    phase: str
    times: list[float]
    batch: int
    peak_bytes: int | None
    memory_method: str
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p90(self) -> float:
        ordered = sorted(self.times)  # nearest rank
        return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]

    @property
    def throughput(self) -> float:
        """Images (samples) per second at the median latency."""
        return self.batch / self.median


# ------------------------------------------------------------------------------ memory


def _status_kb(key: str) -> int | None:
    try:
        text = open("/proc/self/status").read()
    except OSError:
        return None
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) * 1024 if found else None


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return _status_kb("VmHWM") is not None
    except OSError:
        return False


def _maxrss() -> int:
    import resource
    import sys

    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage if sys.platform == "darwin" else usage * 1024


class PeakMemory:
    """Context manager measuring the peak memory a block adds (see module docs)."""

    def __init__(self, device: torch.device):
        self.device = device
        self.peak: int | None = None
        self.method = ""

    def __enter__(self):
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.base = torch.cuda.memory_allocated(self.device)
            self.method = "torch.cuda.max_memory_allocated"
        elif _reset_hwm():
            self.base = _status_kb("VmRSS")
            self.method = "VmHWM - VmRSS (/proc/self/status, reset by clear_refs)"
        else:
            self.base = _maxrss()
            self.method = "ru_maxrss rise"
        return self

    def __exit__(self, *exc):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.peak = torch.cuda.max_memory_allocated(self.device) - self.base
        elif self.method.startswith("VmHWM"):
            self.peak = _status_kb("VmHWM") - self.base
        else:
            self.peak = _maxrss() - self.base
        return False


# ------------------------------------------------------------------------------ timing


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_calls(fn, device: torch.device, repeats: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def autocast(device: torch.device, amp: bool):
    if not amp:
        return contextlib.nullcontext()
    dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
    return torch.autocast(device.type, dtype=dtype)


def amp_dtype(device: torch.device) -> str:
    return "float16" if device.type == "cuda" else "bfloat16"


def memory_format(rank: int):
    return {2: torch.channels_last, 3: torch.channels_last_3d}.get(rank)


@dataclass
class BenchSetup:
    device: torch.device
    batch: int = 1
    amp: bool = False
    channels_last: bool = False
    compile: bool = False
    fold_bn: bool = False
    repeats: int = 20
    warmup: int = 3


def prepare(model, shapes: dict, setup: BenchSetup):
    """``model`` moved, converted and compiled as ``setup`` says, random inputs for it,
    and the eval model (BN-folded with ``fold_bn``) and train model (never folded)."""
    device = setup.device
    generator = torch.Generator().manual_seed(0)
    inputs = [torch.randn((setup.batch, *s.as_tuple()), generator=generator) for s in shapes.values()]
    train_model = model.to(device)
    eval_model = train_model
    if setup.fold_bn:
        from segkit.export.fold import fold_bn

        eval_model = fold_bn(train_model)
    rank = next(iter(shapes.values())).rank
    fmt = memory_format(rank) if setup.channels_last else None
    if fmt is not None:
        train_model = train_model.to(memory_format=fmt)
        eval_model = eval_model.to(memory_format=fmt)
    inputs = [x.to(device=device, memory_format=fmt) if fmt is not None and x.dim() == rank + 2 else x.to(device)
              for x in inputs]
    if setup.compile:
        train_model = torch.compile(train_model)
        eval_model = torch.compile(eval_model) if setup.fold_bn else train_model
    return eval_model, train_model, inputs


def bench_forward(model, inputs, setup: BenchSetup) -> Measurement:
    model.eval()

    def step():
        with torch.inference_mode(), autocast(setup.device, setup.amp):
            model(*inputs)

    with PeakMemory(setup.device) as memory:
        times = time_calls(step, setup.device, setup.repeats, setup.warmup)
    return Measurement("forward", times, setup.batch, memory.peak, memory.method,
                       "BN folded" if setup.fold_bn else "")


def bench_train(model, inputs, setup: BenchSetup) -> Measurement:
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]

    def step():
        with autocast(setup.device, setup.amp):
            out = flatten(model(*inputs))
        loss = sum(t.float().mean() for t in out if t.is_floating_point())
        loss.backward()
        for p in params:
            p.grad = None

    with PeakMemory(setup.device) as memory:
        times = time_calls(step, setup.device, setup.repeats, setup.warmup)
    model.eval()
    return Measurement("forward+backward", times, setup.batch, memory.peak, memory.method,
                       "BN unfolded (train mode)" if setup.fold_bn else "")
