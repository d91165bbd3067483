"""Writing a compiled spec to ONNX, TorchScript or a torch.export ExportedProgram, and
checking the written file against the PyTorch module on a random input.

- ``onnx``: ``torch.onnx.export(..., dynamo=False)``, torch's TorchScript-based exporter
  (the dynamo exporter needs onnxscript, which segkit does not depend on; the
  TorchScript-based one exports every shipped spec), with a dynamic batch axis; the
  file is run in onnxruntime. For networks that max-unpool, argmax ties that
  onnxruntime resolves differently are allowed (:mod:`segkit.export.ties`).
- ``torchscript``: ``torch.jit.trace`` (``torch.jit.script`` is deprecated) and
  ``torch.jit.save``; the file is loaded back with ``torch.jit.load``.
- ``exported-program``: ``torch.export.export`` and ``torch.export.save`` (static
  shapes); loaded back with ``torch.export.load``.

The module is exported in eval mode; build it with ``train_heads=False`` so that
training-only heads are not part of it. Files are written atomically (a temporary file
in the same folder, renamed once the check passes).
"""
from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from segkit.compiler.outputs import flatten_outputs
from segkit.errors import InputError, SegkitError, SourceLoc
from segkit.export import ties
from segkit.export.lint import DEFAULT_OPSET, FORMATS

# onnxruntime is imported inside functions: optional for what most callers do.

TOLERANCE = 1e-4


class ExportCheckError(SegkitError):
    """The exported file does not reproduce the PyTorch module's outputs."""


@dataclass
class ExportResult:
    """What was written and how close it is: ``max_abs_diff`` between the reloaded file's
    outputs (onnxruntime for ONNX) and the PyTorch module's on ``batch`` random inputs."""

    path: Path
    format: str
    max_abs_diff: float
    runtime: str
    outputs: list[str]
    size_bytes: int
    argmax_flips: int = 0
    """Max-pool argmax ties the file resolved differently from PyTorch (ONNX of networks
    that max-unpool; see :mod:`segkit.export.ties`): when non-zero, ``max_abs_diff``
    compares with PyTorch following the file's choices, and ``unconditioned_diff`` is the
    plain difference."""
    unconditioned_diff: float | None = None


def output_names(model, example: tuple) -> list[str]:
    """Names of the eval-mode outputs: the dict keys, or ["out"] for one tensor."""
    with torch.inference_mode():
        out = model(*example)
    return list(out) if isinstance(out, dict) else ["out"]


def export_model(model, example: dict[str, torch.Tensor], fmt: str, path, *, opset: int = DEFAULT_OPSET,
                 check_batch: int | None = None, tolerance: float | None = TOLERANCE) -> ExportResult:
    """Export ``model`` (called with the tensors of ``example`` as positional inputs, in
    order) to ``path`` in ``fmt`` and compare the reloaded file with ``model`` on fresh
    random inputs of batch ``check_batch`` (default, and always for the static-shape
    exported-program: the example's). Raises
    ExportCheckError when the difference exceeds ``tolerance`` (None: never)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}", SourceLoc("--format"), f"use one of {', '.join(FORMATS)}")
    model = model.eval()
    args = tuple(example.values())
    names = output_names(model, args)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    try:
        runner, runtime = _WRITERS[fmt](model, example, names, tmp, opset)
        generator = torch.Generator().manual_seed(0)
        batch = args[0].shape[0] if fmt == "exported-program" else (check_batch or args[0].shape[0])
        probe = tuple(torch.randn((batch, *a.shape[1:]), generator=generator, dtype=a.dtype) for a in args)
        with torch.inference_mode():
            expected = flatten_outputs(model(*probe))
        got = runner(probe)
        if len(got) != len(expected) or any(tuple(g.shape) != tuple(e.shape) for g, e in zip(got, expected)):
            raise ExportCheckError(f"the {fmt} file gives outputs of shapes {[tuple(g.shape) for g in got]}, "
                                   f"PyTorch {[tuple(e.shape) for e in expected]}", SourceLoc(str(path)))
        diff = max_abs_diff(got, expected)
        flips, plain, why = 0, None, ""
        if tolerance is not None and not diff <= tolerance and fmt == "onnx" and ties.unpool_calls(model):
            indices = ties.file_unpool_indices(tmp, list(example), probe)
            conditioned = ties.follow_file_choices(model, probe, indices, tolerance)
            if isinstance(conditioned, ties.Conditioned):
                flips, plain, diff = conditioned.flips, diff, max_abs_diff(got, conditioned.outputs)
            else:
                why = f"; not argmax ties of max-unpooling ({conditioned})"
        if tolerance is not None and not diff <= tolerance:
            followed = f" with PyTorch following its {flips} argmax tie choices" if flips else ""
            raise ExportCheckError(f"{runtime} differs from PyTorch by {diff:.3g}{followed} (tolerance "
                                   f"{tolerance:g}){why}; {path} was not written", SourceLoc(str(path)),
                                   "report this with the spec; --tolerance raises the limit")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is for the temporary file only
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return ExportResult(path, fmt, diff, runtime, names, path.stat().st_size, flips, plain)


def max_abs_diff(got, expected) -> float:
    """The largest absolute difference over corresponding output tensors."""
    return max(float((torch.as_tensor(g) - e).abs().max()) for g, e in zip(got, expected))


def onnx_available() -> None:
    """Raise a located InputError unless onnx and onnxruntime are installed."""
    import importlib.util

    missing = [m for m in ("onnx", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        raise InputError(f"ONNX export needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                         "not installed", SourceLoc("--format"), "pip install 'segkit[export]'")


def _write_onnx(model, example, names, tmp, opset):
    onnx_available()
    import onnxruntime as ort

    inputs = list(example)
    dynamic = {name: {0: "batch"} for name in inputs + names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter's deprecation and tracer warnings
        torch.onnx.export(model, tuple(example.values()), tmp, dynamo=False, opset_version=opset,
                          input_names=inputs, output_names=names, dynamic_axes=dynamic)
    session = ort.InferenceSession(tmp, providers=["CPUExecutionProvider"])

    def run(probe):
        feed = {name: t.numpy() for name, t in zip(inputs, probe)}
        return [torch.from_numpy(a) for a in session.run(names, feed)]

    return run, f"onnxruntime {ort.__version__} (opset {opset})"


def _write_torchscript(model, example, names, tmp, opset):
    with warnings.catch_warnings():
        # TracerWarnings, and torch >= 2.10 deprecating torch.jit (the format still loads everywhere)
        warnings.simplefilter("ignore", category=torch.jit.TracerWarning)
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=FutureWarning)
        traced = torch.jit.trace(model, tuple(example.values()), strict=False, check_trace=False)
        torch.jit.save(traced, tmp)
        loaded = torch.jit.load(tmp)

    def run(probe):
        with torch.inference_mode():
            return flatten_outputs(loaded(*probe))

    return run, "torch.jit.load"


def _write_exported_program(model, example, names, tmp, opset):
    program = torch.export.export(model, tuple(example.values()))
    torch.export.save(program, tmp)
    loaded = torch.export.load(tmp).module()

    def run(probe):
        with torch.inference_mode():
            return flatten_outputs(loaded(*probe))

    return run, "torch.export.load"


_WRITERS = {"onnx": _write_onnx, "torchscript": _write_torchscript, "exported-program": _write_exported_program}
