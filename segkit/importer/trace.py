"""Tracing a source module with torch.fx, and the example shapes of its values.

A module that is already a ``GraphModule`` (or timm's ``FeatureGraphNet``, made with
``features_only=True, feature_cls="fx"``, which holds one) is taken as it is: timm
traced it with its own leaf modules, which is the only reliable way for tf_* models
(input-size control flow in "same" padding) and hook-based feature wrappers. Any other
module is traced here, keeping timm's leaf modules and functions as leaves when timm is
installed, and the modules the importer takes whole (``modules.leaf_modules``: ResNeSt's
split attention, and self-attention, refused by name). Imports torch (and timm if
present); only ``import_model`` imports it."""
from __future__ import annotations

import contextlib
import io

import torch
import torch.fx
from torch.fx.passes.shape_prop import ShapeProp

from segkit.errors import InputError, SourceLoc
from segkit.importer.errors import ImportRefusal
from segkit.importer.modules import leaf_modules


def _leaves() -> tuple[set, set]:
    """The leaf modules and functions: timm's own, and the modules taken whole."""
    try:
        from timm.layers import _fx
    except ImportError:  # timm is optional: without it every module is traced through
        return set(leaf_modules()), set()
    return set(_fx.get_notrace_modules()) | set(leaf_modules()), set(_fx.get_notrace_functions())


class _Tracer(torch.fx.Tracer):
    def __init__(self, leaves: set, functions: set):
        super().__init__(autowrap_functions=tuple(functions))
        self.leaves = tuple(leaves)

    def is_leaf_module(self, m, qualname: str) -> bool:
        return isinstance(m, self.leaves) or super().is_leaf_module(m, qualname)


def trace(module) -> torch.fx.GraphModule:
    """``module`` as a GraphModule whose submodules keep the source's names."""
    if isinstance(module, torch.fx.GraphModule):
        return module
    inner = getattr(module, "graph_module", None)
    if isinstance(inner, torch.fx.GraphModule):
        return inner
    _refuse_hooks(module)
    leaves, functions = _leaves()
    tracer = _Tracer(leaves, functions)
    graph = tracer.trace(module.eval())  # in eval mode: a traced ``self.training`` becomes a constant
    return torch.fx.GraphModule(tracer.root, graph, type(module).__name__)


def _refuse_hooks(module) -> None:
    """Refuse a module with forward hooks (timm's ``FeatureHookNet`` collects its maps
    with them): tracing skips hooks, so the traced graph would not compute what it does."""
    for name, m in module.named_modules():
        if m._forward_hooks or m._forward_pre_hooks:
            raise ImportRefusal("a module with forward hooks is not imported: tracing does not run them",
                                SourceLoc(f"module {name or type(module).__name__!r} ({type(m).__name__})"),
                                "import a module that returns its feature maps from forward")


def propagate(gm: torch.fx.GraphModule, example: torch.Tensor) -> None:
    """Record every node's example tensor shape in ``node.meta["tensor_meta"]``. A model
    that does not run at the example's size (too small for its kernels, other input
    channels) is an input error naming the fx node and the cause."""
    printed = io.StringIO()  # ShapeProp prints the traceback of a failing node before raising
    try:
        with torch.no_grad(), contextlib.redirect_stderr(printed):
            ShapeProp(gm).propagate(example)
    except RuntimeError as error:
        cause = error.__cause__ or error
        failed = next((n.name for n in gm.graph.nodes if f"node=%{n.name} " in str(error)), None)
        where = f" at fx node '{failed}'" if failed else ""
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        size = "x".join(str(n) for n in example.shape[1:])
        raise InputError(f"the model does not run on an input of {size}{where}: {first}", SourceLoc("--input"),
                         "give --input a size (and channels) the model takes, e.g. 3x224x224") from error


def shape_of(node) -> tuple[int, ...] | None:
    """The example shape of fx ``node``'s tensor value (batch included), if a tensor."""
    meta = node.meta.get("tensor_meta")
    return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None
