"""Export and inference optimisation of compiled specs.

- :func:`lint_export` / :func:`check_export` (torch-free): which nodes of an inferred
  graph will not export to ONNX, located in the spec;
- :func:`export_model`: write ONNX / TorchScript / ExportedProgram and check the file
  against PyTorch;
- :func:`fold_bn`: fold eval-mode BatchNorm into the preceding convolution.

Called, the package is :func:`segkit.api.export` (spec in, checked file out), which
``segkit/__init__.py`` installs, being above both.

Importing this package does not import torch; the torch-side functions import it when
called. The lint's names are loaded on first use (PEP 562), so that ``import segkit``,
which imports this package to make it callable, stays cheap.
"""
from __future__ import annotations

import importlib

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.

_LINT_NAMES = ("DEFAULT_OPSET", "FORMATS", "MAX_OPSET", "MIN_OPSET", "ExportIssue", "ExportLintError", "check_export",
               "lint_export", "suggest_input")
"""The names of :mod:`segkit.export.lint` this package offers."""

__all__ = [*_LINT_NAMES, "count_bn", "export_model", "fold_bn"]


def __getattr__(name: str):
    if name not in _LINT_NAMES:
        raise AttributeError(f"module 'segkit.export' has no attribute {name!r}")
    value = getattr(importlib.import_module("segkit.export.lint"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LINT_NAMES))


def fold_bn(model, inplace: bool = False):
    """``model`` with eval-mode BatchNorms folded into the convolutions before them
    (see :mod:`segkit.compiler.fold_bn`)."""
    from segkit.compiler.fold_bn import fold_bn as fold

    return fold(model, inplace)


def count_bn(model) -> int:
    """Number of BatchNorm modules in ``model``."""
    from segkit.compiler.fold_bn import count_bn as count

    return count(model)


def export_model(model, example, fmt, path, **kwargs):
    """See :func:`segkit.export.exporters.export_model`."""
    from segkit.export.exporters import export_model as export

    return export(model, example, fmt, path, **kwargs)
