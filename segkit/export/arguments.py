"""An export's arguments checked before anything is built: the format (given, or told
by the file name), the opset, whether the format has a dynamic form, and whether the
ONNX tools are installed. Torch-free, so that ``segkit export`` and ``segkit.export``
refuse bad arguments before importing torch or building a model.

Errors are located at the CLI option that carries the argument (``--format``,
``--output``, ...), as the other export errors are; the Python keyword has the same
name without the dashes (``--output`` is ``path``).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from segkit.core.suggest import did_you_mean
from segkit.errors import InputError, SourceLoc
from segkit.export.lint import DEFAULT_OPSET, FORMATS, MAX_OPSET, MIN_OPSET

SUFFIXES = {".onnx": "onnx", ".ts": "torchscript", ".torchscript": "torchscript", ".pt2": "exported-program"}
"""The format a file name's suffix stands for."""


def export_format(fmt: str | None, path) -> str:
    """``fmt`` checked and lower-cased, or the format ``path``'s suffix stands for."""
    if fmt is None:
        fmt = SUFFIXES.get(Path(path).suffix.lower())
        if fmt is None:
            raise InputError(f"cannot tell the export format from {str(path)!r}", SourceLoc("--output"),
                             "name the format (onnx, torchscript or exported-program), or name the file "
                             ".onnx, .ts or .pt2")
    fmt = str(fmt).lower()
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}", SourceLoc("--format"),
                         did_you_mean(fmt, FORMATS) or f"use one of {', '.join(FORMATS)}")
    return fmt


def export_opset(opset: int | None, fmt: str) -> int:
    """The ONNX opset to export with: ``opset`` checked, or the default."""
    if opset is not None and fmt != "onnx":
        raise InputError(f"--opset applies to onnx, not {fmt}", SourceLoc("--opset"))
    opset = DEFAULT_OPSET if opset is None else opset
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise InputError(f"opset {opset} is not supported", SourceLoc("--opset"),
                         f"use an opset from {MIN_OPSET} to {MAX_OPSET} (default {DEFAULT_OPSET})")
    return opset


def check_dynamic_form(fmt: str) -> None:
    """Refuse a dynamic export to a format that has no dynamic form."""
    if fmt == "torchscript":
        raise InputError("torchscript traces one input size and has no dynamic form", SourceLoc("--dynamic"),
                         "use --format onnx or exported-program")


def onnx_available() -> None:
    """Raise a located InputError unless onnx and onnxruntime are installed."""
    missing = [m for m in ("onnx", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        raise InputError(f"ONNX export needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                         "not installed", SourceLoc("--format"), "pip install 'segkit[export]'")
