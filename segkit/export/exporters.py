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

With ``dynamic`` (the spec's accepted sizes, one SizeRule per spatial dim) one file
serves every accepted size: ONNX with symbolic batch and spatial axes, an
ExportedProgram with torch.export dims ``period*k + residue`` bounded as
:mod:`segkit.export.dynamic` plans them (where torch.export cannot prove a guard of
its own within those bounds, the dims are ``Dim.DYNAMIC`` with the same bounds and
the guard is checked when the file runs). The rule is stored in the file (ONNX
metadata_props, an ExportedProgram's extra file), and the file is checked at three or
more accepted sizes. TorchScript traces one size and has no dynamic form.

The module is exported in eval mode; build it with ``train_heads=False`` so that
training-only heads are not part of it. Files are written atomically (a temporary file
in the same folder, renamed once the check passes).
"""
from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.export import Dim

from segkit.analysis.size_rule import SizeRule
from segkit.compiler.outputs import flatten_outputs
from segkit.errors import SegkitError, SourceLoc
from segkit.export import dynamic as plan
from segkit.export import ties
from segkit.export.arguments import check_dynamic_form, export_format, onnx_available
from segkit.export.lint import DEFAULT_OPSET, ExportIssue

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
    sizes: list[tuple[int, ...]] | None = None
    """The spatial sizes the file was checked at (None: the example's only)."""
    rule: str | None = None
    """The accepted-size rule a dynamic file is valid for (as stored in it)."""
    runtime_guards: bool = False
    """A dynamic ExportedProgram whose guards torch.export could not prove within the
    rule's bounds: it checks them when it runs (``Dim.DYNAMIC``)."""
    batch: int = 1
    """The batch of the random inputs the file was checked on."""
    rules: list[SizeRule] | None = None
    """The rule of ``rule``, one SizeRule per spatial dim (None: a file for one size)."""
    input_shapes: dict[str, tuple[int, ...]] | None = None
    """The example's size per input (channels and spatial sizes, without the batch)."""
    warnings: list[ExportIssue] = field(default_factory=list)
    """What the export lint could not check (set by :func:`segkit.api.export`)."""
    folded_bn: tuple[int, int] | None = None
    """BatchNorm layers folded into convolutions, and how many there were (set by
    :func:`segkit.api.export` with ``fold_bn``; None: not folded)."""


def output_names(model, example: tuple) -> list[str]:
    """Names of the eval-mode outputs: the dict keys, or ["out"] for one tensor."""
    with torch.inference_mode():
        out = model(*example)
    return list(out) if isinstance(out, dict) else ["out"]


def export_model(model, example: dict[str, torch.Tensor], fmt: str, path, *, opset: int = DEFAULT_OPSET,
                 check_batch: int | None = None, tolerance: float | None = TOLERANCE,
                 dynamic: list[SizeRule] | None = None, max_size: int = plan.MAX_SIZE) -> ExportResult:
    """Export ``model`` (called with the tensors of ``example`` as positional inputs, in
    order) to ``path`` in ``fmt`` and compare the reloaded file with ``model`` on fresh
    random inputs of batch ``check_batch`` (default, and always for the static-shape
    exported-program: the example's). Raises
    ExportCheckError when the difference exceeds ``tolerance`` (None: never).

    ``dynamic``: the accepted sizes (one SizeRule per spatial dim, from
    ``segkit.check``): write one file for all of them, up to ``max_size`` per dim, and
    check it at several (see the module docstring)."""
    fmt = export_format(fmt, path)
    if dynamic is not None:
        check_dynamic_form(fmt)
    model = model.eval()
    args = tuple(example.values())
    spatial = tuple(args[0].shape[2:])
    rules = None
    if dynamic is not None:
        rules = plan.exported_rules(dynamic, spatial) if fmt == "exported-program" else list(dynamic)
        if fmt == "exported-program" and args[0].shape[0] == 1:  # torch.export specialises a batch of 1
            example = {name: torch.cat([t, t]) for name, t in example.items()}
            args = tuple(example.values())
    names = output_names(model, args)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    try:
        try:
            stored = plan.metadata(dynamic, rules) if rules is not None else None
            runner, runtime, guards = _WRITERS[fmt](model, example, names, tmp, opset, rules, max_size, stored)
        except NotDynamic as exc:
            raise ExportCheckError(f"torch.export cannot export for every accepted input size: {exc}; {path} was "
                                   "not written", SourceLoc(str(path)), "export without --dynamic, for one input size"
                                   ) from None
        generator = torch.Generator().manual_seed(0)
        batch = args[0].shape[0] if fmt == "exported-program" and rules is None else (check_batch or args[0].shape[0])
        sizes = plan.probe_sizes(rules, spatial) if rules is not None else [spatial]
        diff, flips, plain = 0.0, 0, None
        for size in sizes:
            probe = tuple(torch.randn((batch, a.shape[1], *size), generator=generator, dtype=a.dtype) for a in args)
            d, f, p = _check_probe(model, fmt, tmp, path, list(example), runner, runtime, probe, tolerance)
            diff, flips = max(diff, d), flips + f
            plain = p if p is None or plain is None else max(plain, p)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 is for the temporary file only
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    rule = plan.metadata(dynamic, rules)[plan.METADATA_KEY] if rules is not None else None
    return ExportResult(path, fmt, diff, runtime, names, path.stat().st_size, flips, plain,
                        sizes if rules is not None else None, rule, guards, batch, rules,
                        {name: tuple(t.shape[1:]) for name, t in example.items()})


def _check_probe(model, fmt, tmp, path, inputs, runner, runtime, probe, tolerance):
    """(max abs diff, argmax flips, unconditioned diff) of the written file against
    ``model`` on ``probe``; raises ExportCheckError beyond ``tolerance``."""
    with torch.inference_mode():
        expected = flatten_outputs(model(*probe))
    size = "x".join(map(str, probe[0].shape[2:]))
    try:
        got = runner(probe)
    except Exception as exc:  # noqa: BLE001 - onnxruntime and torch.export guards raise their own kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExportCheckError(f"the {fmt} file fails at input size {size}: {first}; {path} was not written",
                               SourceLoc(str(path)), "export without --dynamic, for one input size") from None
    if len(got) != len(expected) or any(tuple(g.shape) != tuple(e.shape) for g, e in zip(got, expected)):
        raise ExportCheckError(f"at input size {size} the {fmt} file gives outputs of shapes "
                               f"{[tuple(g.shape) for g in got]}, PyTorch {[tuple(e.shape) for e in expected]}",
                               SourceLoc(str(path)))
    diff = max_abs_diff(got, expected)
    flips, plain, why = 0, None, ""
    if tolerance is not None and not diff <= tolerance and fmt == "onnx" and ties.unpool_calls(model):
        indices = ties.file_unpool_indices(tmp, inputs, probe)
        conditioned = ties.follow_file_choices(model, probe, indices, tolerance)
        if isinstance(conditioned, ties.Conditioned):
            flips, plain, diff = conditioned.flips, diff, max_abs_diff(got, conditioned.outputs)
        else:
            why = f"; not argmax ties of max-unpooling ({conditioned})"
    if tolerance is not None and not diff <= tolerance:
        followed = f" with PyTorch following its {flips} argmax tie choices" if flips else ""
        raise ExportCheckError(f"{runtime} differs from PyTorch by {diff:.3g}{followed} at input size {size} "
                               f"(tolerance {tolerance:g}){why}; {path} was not written", SourceLoc(str(path)),
                               "report this with the spec; --tolerance raises the limit")
    return diff, flips, plain


def max_abs_diff(got, expected) -> float:
    """The largest absolute difference over corresponding output tensors."""
    return max(float((torch.as_tensor(g) - e).abs().max()) for g, e in zip(got, expected))


def _write_onnx(model, example, names, tmp, opset, rules, max_size, stored):
    onnx_available()
    import onnx
    import onnxruntime as ort

    inputs = list(example)
    dims = ("D", "H", "W")[-len(rules):] if rules else ()
    axes = {name: {0: "batch", **{2 + i: f"{d}" for i, d in enumerate(dims)}} for name in inputs}
    axes.update({name: {0: "batch", **{2 + i: f"{name}_{d.lower()}" for i, d in enumerate(dims)}} for name in names})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter's deprecation and tracer warnings
        torch.onnx.export(model, tuple(example.values()), tmp, dynamo=False, opset_version=opset,
                          input_names=inputs, output_names=names, dynamic_axes=axes)
    if stored is not None:
        proto = onnx.load(tmp)
        for key, value in stored.items():
            proto.metadata_props.add(key=key, value=value)
        onnx.save(proto, tmp)
    session = ort.InferenceSession(tmp, providers=["CPUExecutionProvider"])

    def run(probe):
        feed = {name: t.numpy() for name, t in zip(inputs, probe)}
        return [torch.from_numpy(a) for a in session.run(names, feed)]

    return run, f"onnxruntime {ort.__version__} (opset {opset})", False


def _write_torchscript(model, example, names, tmp, opset, rules, max_size, stored):
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

    return run, "torch.jit.load", False


def _write_exported_program(model, example, names, tmp, opset, rules, max_size, stored):
    args = tuple(example.values())
    guards = False
    if rules is None:
        program = torch.export.export(model, args)
    else:
        spatial = tuple(args[0].shape[2:])
        try:
            program = torch.export.export(model, args, dynamic_shapes=_export_dims(rules, spatial, len(args), max_size,
                                                                                   False))
        except torch._dynamo.exc.UserError as exc:
            if "Constraints violated" not in str(exc):
                raise NotDynamic(exc) from None
            guards = True  # guards torch cannot prove for every size of the rule (e.g. ceil-mode pooling)
            try:
                program = torch.export.export(model, args, dynamic_shapes=_export_dims(rules, spatial, len(args),
                                                                                       max_size, True))
            except torch._dynamo.exc.UserError as again:
                raise NotDynamic(again) from None
    torch.export.save(program, tmp, extra_files=stored)
    loaded = torch.export.load(tmp).module()

    def run(probe):
        with torch.inference_mode():
            return flatten_outputs(loaded(*probe))

    return run, "torch.export.load", guards


class NotDynamic(Exception):
    """torch.export cannot keep the input size symbolic; the message is torch's reason
    (its first ``- `` line, else its first line)."""

    def __init__(self, exc: Exception):
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        super().__init__(next((line[2:] for line in lines if line.startswith("- ")),
                              lines[0] if lines else type(exc).__name__))


def _export_dims(rules, spatial, count, max_size, runtime_guards):
    """torch.export's dynamic_shapes for ``count`` inputs of ``spatial`` size: a batch dim and,
    per spatial dim, ``period*k + residue`` (derived from a bounded ``k``), or with
    ``runtime_guards`` ``Dim.DYNAMIC`` with the same bounds."""
    names = ("D", "H", "W")[-len(spatial):]
    shapes = {0: Dim("batch", min=1, max=1024)}
    for i, (name, d) in enumerate(zip(names, plan.symbolic_dims(rules, spatial, max_size))):
        if runtime_guards:
            shapes[2 + i] = Dim.DYNAMIC(min=d.minimum, max=d.maximum)
        elif d.period == 1:
            shapes[2 + i] = Dim(name, min=d.minimum, max=d.maximum)
        else:
            shapes[2 + i] = d.period * Dim(f"{name}_k", min=d.k_min, max=d.k_max) + d.residue
    return tuple(shapes for _ in range(count))  # the inputs share their batch and spatial sizes


_WRITERS = {"onnx": _write_onnx, "torchscript": _write_torchscript, "exported-program": _write_exported_program}
