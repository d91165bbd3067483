"""segkit: segmentation networks as YAML graph specs, checked statically and compiled
into PyTorch modules. Importing segkit does not import torch.

The names here are the Python API (:mod:`segkit.api`) and the block contract; plugin
authors import from :mod:`segkit.plugin`. Each name is imported from its module on first
use (PEP 562), so that ``segkit check`` and ``import segkit.cli`` load only what they
run. Import paths of segkit 0.1 keep working as deprecated aliases
(:mod:`segkit._aliases`).

``segkit.export`` is both the export package (``segkit.export.export_model``,
``from segkit.export import lint_export``, ``import segkit.export.dynamic``) and,
called, :func:`segkit.api.export`. A plain function of that name here would be replaced
by the package as soon as anything imports ``segkit.export`` or a module in it, and the
package sits below ``segkit.api`` (docs/design.md), so it cannot call up into it. So
this module, above both, imports the package (cheap: its names load on first use too)
and gives it a class whose ``__call__`` is the API's (:class:`CallableExport`); every
import of ``segkit.export...`` runs this module first, so the package is callable
whichever way it was imported."""
from __future__ import annotations

import importlib
import types

from segkit import _aliases, export

_aliases.install()


class CallableExport(types.ModuleType):
    """The class of the ``segkit.export`` package: calling it is :func:`segkit.api.export`."""

    def __call__(self, spec, path, **kwargs):
        return importlib.import_module("segkit.api").export(spec, path, **kwargs)


export.__class__ = CallableExport

__version__ = "0.1.0"

# Where each public name lives; imported on first access by __getattr__ below.
_PUBLIC: dict[str, str] = {
    **dict.fromkeys(["build", "build_for_inference", "check", "default_registry", "load_spec", "load_weights",
                     "resolve"], "segkit.api"),
    **dict.fromkeys(["Block", "NodeRef", "Params", "Ref", "expect", "mismatch", "per_dim"], "segkit.core.block"),
    **dict.fromkeys(["Geometry", "Inference", "Shape"], "segkit.core.shape"),
    **dict.fromkeys(["SegkitError", "SourceLoc"], "segkit.errors"),
    **dict.fromkeys(["Imported", "import_model"], "segkit.importer"),
    "hookimpl": "segkit.plugins.hookspecs",
    "LoadReport": "segkit.weights.loading",
}

__all__ = sorted([*_PUBLIC, "export"])


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'segkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
