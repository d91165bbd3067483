"""Import paths from before the package layout of stages (segkit 0.1), kept working as
thin aliases so that plugins written against them run unchanged: importing one emits a
DeprecationWarning naming the new place, and its attributes are the new modules' own
objects. Installed by ``segkit/__init__.py`` as a finder at the end of ``sys.meta_path``,
so it only ever answers for the names in ``MOVED``."""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

MOVED: dict[str, tuple[str, ...]] = {
    "segkit.block": ("segkit.core.block",),
    "segkit.shapes": ("segkit.core.shape",),
    "segkit.ir": ("segkit.core.graph",),
    "segkit.sizes": ("segkit.core.size_algebra", "segkit.analysis.accepted", "segkit.analysis.size_rule"),
    "segkit.sizes.dim": ("segkit.core.size_algebra.dim",),
    "segkit.sizes.sets": ("segkit.core.size_algebra.sets", "segkit.core.size_algebra.relations",
                          "segkit.core.size_algebra.dim"),
    "segkit.sizes.spatial": ("segkit.core.size_algebra.spatial",),
    "segkit.sizes.rule": ("segkit.analysis.size_rule",),
    "segkit.sizes.accepted": ("segkit.analysis.accepted",),
    "segkit.sizes.derive": ("segkit.analysis.derive",),
    "segkit.sizes.scan": ("segkit.analysis.scan",),
    "segkit.infer": ("segkit.analysis.infer",),
    "segkit.report": ("segkit.analysis.report",),
    "segkit.spec": ("segkit.lang",),
    "segkit.spec.loader": ("segkit.lang.loader",),
    "segkit.spec.schema": ("segkit.lang.schema",),
    "segkit.spec.expr": ("segkit.lang.expr",),
    "segkit.spec.checks": ("segkit.lang.checks",),
    "segkit.spec.extends": ("segkit.lang.extends",),
    "segkit.spec.resolve": ("segkit.lang.resolver",),
    "segkit.spec.comments": ("segkit.lang.comments",),
    "segkit.resolve_print": ("segkit.lang.render",),
    "segkit.schema_export": ("segkit.lang.json_schema",),
    "segkit.hookspecs": ("segkit.plugins.hookspecs",),
    "segkit.registry": ("segkit.plugins.registry", "segkit.lang.composite", "segkit.api"),
    "segkit.suggest": ("segkit.core.suggest", "segkit.plugins.install_hints"),
    "segkit.plugin_report": ("segkit.plugins.inventory",),
    "segkit.data.lazy": ("segkit.plugins.lazy",),
    "segkit.specs_builtin": ("segkit_specs",),
    "segkit.compile": ("segkit.compiler.codegen",),
    "segkit.inplace": ("segkit.compiler.inplace",),
    "segkit.export.fold": ("segkit.compiler.fold_bn",),
    "segkit.export.bench": ("segkit.bench.runner",),
    "segkit.losses": ("segkit.train.losses",),
    "segkit.metrics": ("segkit.train.metrics",),
    "segkit.train.inference": ("segkit.train.evaluation",),
    "segkit.checkpoint": ("segkit.weights.checkpoint",),
    "segkit.weight_formats": ("segkit.weights.formats", "segkit.weights.torchvision"),
    "segkit.weight_formats.torchvision": ("segkit.weights.torchvision",),
    "segkit.weight_formats.torchvision_features": ("segkit.weights.torchvision_features",),
    "segkit.weight_formats.timm_xception": ("segkit.weights.timm_xception",),
    "segkit.tables": ("segkit.views.tables",),
    "segkit.graph_export": ("segkit.views.graph_drawing",),
    "segkit.cli_export": ("segkit.cli.export",),
    "segkit.cli_train": ("segkit.cli.train",),
}
"""Old module -> the modules that now hold its names, searched in order."""


class AliasModule(types.ModuleType):
    """An old module path whose attributes are looked up in the new modules."""

    def __init__(self, name: str, targets: tuple[str, ...]):
        super().__init__(name, f"Deprecated alias of {', '.join(targets)}.")
        self.__segkit_targets__ = targets
        if any(other.startswith(name + ".") for other in MOVED):
            self.__path__ = []  # a package: its old submodules are aliases too

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        for target in self.__segkit_targets__:
            module = importlib.import_module(target)
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"module {self.__name__!r} (moved to {self.__segkit_targets__[0]}) has no attribute "
                             f"{attr!r}")

    def __dir__(self):
        names = set()
        for target in self.__segkit_targets__:
            names |= set(dir(importlib.import_module(target)))
        return sorted(names)


class AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers imports of the names in ``MOVED`` with an :class:`AliasModule`."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return AliasModule(spec.name, MOVED[spec.name])

    def exec_module(self, module):
        warnings.warn(f"{module.__name__} is deprecated: import from {' / '.join(MOVED[module.__name__])} "
                      "(plugin authors: segkit.plugin)", DeprecationWarning, stacklevel=2)


def install() -> None:
    """Put the alias finder on ``sys.meta_path`` once."""
    if not any(isinstance(finder, AliasFinder) for finder in sys.meta_path):
        sys.meta_path.append(AliasFinder())
