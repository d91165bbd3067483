"""``segkit bench``'s measurements: latency (median, p90), throughput and peak memory of
a compiled spec's forward pass (eval, ``torch.inference_mode``) and forward + backward
pass (train mode, loss = sum of the means of every output, training heads included).

Peak memory is the memory one iteration of a phase adds on top of what was allocated
before it (weights, inputs), after warm-up (and torch.compile's compilation):

- CUDA: ``torch.cuda.max_memory_allocated()`` after ``reset_peak_memory_stats()``,
  minus the memory allocated at the start; tensors only, not the caching allocator's
  reserve or the CUDA context. Measured after the timed runs, in the same process.
- CPU: tracemalloc does not see torch's allocations, so the process's resident set is
  used: the kernel's high-water mark ``VmHWM`` of ``/proc/self/status`` is reset by
  writing 5 to ``/proc/self/clear_refs`` (Linux >= 4.0) before the iteration, and the
  peak is VmHWM after it minus VmRSS before it. glibc's malloc keeps freed blocks of up
  to 32 MiB resident for reuse, so that rise would miss most of the activations; the
  measurement therefore runs in a child process (:func:`cpu_memory_in_child`) started
  with ``MALLOC_MMAP_THRESHOLD_=65536``, where every tensor buffer is unmapped when
  freed and the resident set follows the live tensors. (That setting makes every
  allocation page-fault, about 1.5x slower, which is why the timings are not taken
  there.) It still counts what else the iteration touches (oneDNN scratch buffers).
  Where clear_refs cannot be written (not Linux, restricted /proc) the fallback is the
  rise of ``resource.getrusage().ru_maxrss``, which only shows an iteration going above
  every earlier peak of the child process.
"""
from __future__ import annotations

import contextlib
import gc
import math
import re
import statistics
import time
from dataclasses import dataclass, replace

import torch

from segkit.compiler.fold_bn import fold_bn
from segkit.compiler.outputs import flatten_outputs


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


def _trim() -> None:
    """glibc's malloc_trim(0): give free heap pages back to the kernel, so that reusing
    them shows in the resident set again (nothing where it does not exist)."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


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
            return self
        _trim()
        if _reset_hwm():
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


def warm_up(fn, device: torch.device, warmup: int) -> None:
    for _ in range(warmup):
        fn()
    _sync(device)


def time_calls(fn, device: torch.device, repeats: int) -> list[float]:
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


@dataclass
class Phase:
    """A callable to time: ``step`` runs one iteration of ``model`` in ``training`` mode."""

    name: str
    model: torch.nn.Module
    training: bool
    step: object
    note: str = ""


def forward_phase(model, inputs, setup: BenchSetup) -> Phase:
    def step():
        with torch.inference_mode(), autocast(setup.device, setup.amp):
            model(*inputs)

    return Phase("forward", model, False, step, "BN folded" if setup.fold_bn else "")


def train_phase(model, inputs, setup: BenchSetup) -> Phase:
    params = [p for p in model.parameters() if p.requires_grad]

    def step():
        with autocast(setup.device, setup.amp):
            out = flatten_outputs(model(*inputs))
        loss = sum(t.float().mean() for t in out if t.is_floating_point())
        loss.backward()
        for p in params:
            p.grad = None

    return Phase("forward+backward", model, True, step, "BN unfolded (train mode)" if setup.fold_bn else "")


def run_phases(phases: list[Phase], setup: BenchSetup, skip=None, memory: bool = True) -> list[Measurement]:
    """Time every phase (warm-up first; torch.compile compiles there), then, with
    ``memory``, measure each phase's peak memory over one more iteration. ``skip(exc)``
    may turn an exception of a phase into a note (the row is then reported untimed)."""
    rows, timed = [], []
    for phase in phases:
        phase.model.train(phase.training)
        try:
            warm_up(phase.step, setup.device, max(setup.warmup, int(setup.compile)))
            times = time_calls(phase.step, setup.device, setup.repeats)
        except Exception as exc:
            note = skip(exc) if skip else None
            if note is None:
                raise
            rows.append(Measurement(phase.name, [float("nan")], setup.batch, None, "", note))
            continue
        rows.append(Measurement(phase.name, times, setup.batch, None, "", phase.note))
        timed.append((rows[-1], phase))
    for row, phase in timed if memory else ():
        phase.model.train(phase.training)
        with PeakMemory(setup.device) as peak:
            phase.step()
        row.peak_bytes, row.memory_method = peak.peak, peak.method
    for phase in phases:
        phase.model.eval()
    return rows


def probe_memory(phases: list[Phase], setup: BenchSetup, skip=None) -> dict:
    """{phase name: [peak bytes, method]}: ``run_phases`` untimed, after at least one
    warm-up iteration of each phase (phases ``skip`` turns into notes are left out)."""
    rows = run_phases(phases, replace(setup, repeats=0, warmup=max(setup.warmup, 1)), skip)
    return {row.phase: [row.peak_bytes, row.memory_method] for row in rows if row.peak_bytes is not None}


PROBE_TIMEOUT = 600
"""Seconds the memory probe's child process may take: its warm-up (with --compile, a
fresh compilation) and one iteration per phase; a hung child must not hang the bench."""


def cpu_memory_in_child(rows: list[Measurement], args: list[str]) -> None:
    """Fill the rows' peak memory from ``python -m segkit bench ARGS --memory-probe`` run
    with glibc's MALLOC_MMAP_THRESHOLD_ fixed at 64 KiB: every tensor buffer is then
    mapped on allocation and unmapped on free, so the resident set follows the live
    tensors (with the default, dynamic threshold freed buffers of up to 32 MiB stay
    resident for reuse and the rise of the resident set misses them). The setting costs
    page faults on every allocation, which is why the timings are taken in this
    process, without it. On failure (or after PROBE_TIMEOUT) the timed rows say why in
    their note: the first line the child wrote to stderr."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(64 * 1024))
    command = [sys.executable, "-m", "segkit", "bench", *args, "--memory-probe"]
    found, why = {}, None
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        why = f"timed out after {PROBE_TIMEOUT} s"
    else:
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("SEGKIT_MEMORY ")), None)
        if done.returncode == 0 and line:
            found = json.loads(line.split(" ", 1)[1])
        else:
            why = next((ln.strip() for ln in done.stderr.splitlines() if ln.strip()), f"exit status {done.returncode}")
    for row in rows:
        if row.phase in found:
            row.peak_bytes, method = found[row.phase]
            row.memory_method = method + ", in a child process with MALLOC_MMAP_THRESHOLD_=65536"
        elif why is not None and row.times and row.times[0] == row.times[0]:
            row.memory_method = "not measured: the memory probe process failed"
            row.note = "; ".join(filter(None, [row.note, f"memory probe: {why}"]))
