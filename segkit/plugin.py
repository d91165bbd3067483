"""The public surface for plugin authors: everything a package that adds blocks,
datasets, specs, metrics, losses, weight formats or post-processors to segkit imports,
in one place. Import only from here (``from segkit.plugin import Block, hookimpl``);
the modules behind these names may move, this module's names do not.

Importing this module does not import torch: the test kit, which needs it, loads on
first use of its names; the dataset base classes are torch-free to import too.

Hooks
    ``hookimpl`` marks a function named after a hook of :mod:`segkit.plugins.hookspecs`
    (``segkit_register_blocks(register)``, ...).
Blocks
    ``Block`` (a Python block: ``Params``, ``infer``, ``build``), ``Macro`` (a block that
    expands into a sub-spec), ``Params``, ``Shape``, ``Inference`` (what ``infer``
    returns), ``Geometry`` / ``POINTWISE`` (stride and receptive field), ``expect`` / ``ParamError`` /
    ``mismatch`` (located errors), ``per_dim``, ``NodeRef`` / ``Ref`` (params that name
    another node), and the param types ``PosInt``, ``NonNegInt``, ``Sizes``,
    ``NonNegSizes``, ``Eps``.
Size rules
    ``SpatialRule`` and the size algebra it is written in: ``Dim``, ``SizeSet``,
    ``every``, ``some``, ``equal``, ``select``, and the common rules ``keeps_size`` and
    ``equal_sizes``.
Datasets and lazy entries
    ``SegDataset`` / ``FileSegDataset`` (the dataset protocol, :mod:`segkit.data.base`)
    and its file helpers (``read_image``, ``image_size``, ``require_dir``, ``located``,
    ``parse_options``), ``Lazy`` (register a class by ``"module:attr"`` so that registration imports nothing
    heavy).
Errors
    ``SegkitError``, ``InputError``, ``ShapeError``, ``SourceLoc``.
Testing
    ``block_test``, ``check_block``, ``check_against_torch``, ``check_claims``, ``check_compiles``,
    ``params_strategy``, ``shapes``, ``make_registry`` (see :mod:`segkit.testing`).
"""
from __future__ import annotations

import importlib

from segkit.core.block import Block, Macro, NodeRef, ParamError, Params, Ref, expect, mismatch, per_dim
from segkit.core.shape import POINTWISE, Geometry, Inference, Shape
from segkit.core.size_algebra import Dim, SizeSet, SpatialRule, equal, equal_sizes, every, keeps_size, select, some
from segkit.errors import InputError, SegkitError, ShapeError, SourceLoc
from segkit.ops.params import Eps, NonNegInt, NonNegSizes, PosInt, Sizes
from segkit.plugins.hookspecs import hookimpl
from segkit.plugins.lazy import Lazy

LOADED_ON_USE = {
    "SegDataset": "segkit.data.base",
    "FileSegDataset": "segkit.data.base",
    "image_size": "segkit.data.base",
    "located": "segkit.data.base",
    "parse_options": "segkit.data.base",
    "read_image": "segkit.data.base",
    "require_dir": "segkit.data.base",
    "block_test": "segkit.testing",
    "check_block": "segkit.testing",
    "check_against_torch": "segkit.testing",
    "check_claims": "segkit.testing",
    "check_compiles": "segkit.testing",
    "params_strategy": "segkit.testing",
    "shapes": "segkit.testing",
    "make_registry": "segkit.testing",
}
"""Names imported when first used, not with this module: the test kit imports torch and
hypothesis; the dataset module numpy."""


def __getattr__(name: str):
    if name in LOADED_ON_USE:
        return getattr(importlib.import_module(LOADED_ON_USE[name]), name)
    raise AttributeError(f"module 'segkit.plugin' has no attribute {name!r}")


def __dir__():
    return sorted(set(__all__))


__all__ = [
    "POINTWISE", "Block", "Dim", "Eps", "Geometry", "Inference", "InputError", "Lazy", "Macro", "NodeRef", "NonNegInt", "NonNegSizes",
    "ParamError", "Params", "PosInt", "Ref", "SegkitError", "Shape", "ShapeError", "SizeSet", "Sizes", "SourceLoc",
    "SpatialRule", "equal", "equal_sizes", "every", "expect", "hookimpl", "keeps_size", "mismatch", "per_dim", "select",
    "some", *LOADED_ON_USE,
]
