"""Export and inference optimisation of compiled specs.

- :func:`lint_export` / :func:`check_export` (torch-free): which nodes of an inferred
  graph will not export to ONNX, located in the spec;
- :func:`export_model`: write ONNX / TorchScript / ExportedProgram and check the file
  against PyTorch;
- :func:`fold_bn`: fold eval-mode BatchNorm into the preceding convolution.

Importing this package does not import torch; the torch-side functions import it when
called.
"""
from __future__ import annotations

from segkit.export.lint import (
    DEFAULT_OPSET,
    FORMATS,
    MAX_OPSET,
    MIN_OPSET,
    ExportIssue,
    ExportLintError,
    check_export,
    lint_export,
    suggest_input,
)

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.


__all__ = ["DEFAULT_OPSET", "FORMATS", "MAX_OPSET", "MIN_OPSET", "ExportIssue", "ExportLintError", "check_export",
           "count_bn", "export_model", "fold_bn", "lint_export", "suggest_input"]


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
