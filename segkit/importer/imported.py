"""``import_model``: a PyTorch module -> ``Imported`` (the YAML text of a flat spec and a
state dict that loads strictly into ``segkit.build(spec)``). The fx graph is walked in
order; each node's value comes from the module converters (``modules.py``) or the
function converters (``functions.py``), and anything else is refused, naming the node.
Outputs keep the source's order; maps at distinct power-of-two strides are named like
segkit's backbones (``c2`` = stride 4, ..., ``c5`` = stride 32), others ``out0``, ...

Torch is imported inside ``import_model`` only, so that importing this module, and so
``segkit check``, stays torch-free."""
from __future__ import annotations

from dataclasses import dataclass

from segkit.core.shape import Shape
from segkit.errors import InputError, SourceLoc
from segkit.importer.builder import SpecBuilder
from segkit.importer.context import Context
from segkit.importer.errors import refusal
from segkit.importer.fuse import fuse_conv_bn_act
from segkit.importer.strides import nominal_stride
from segkit.importer.values import Const, Feature
from segkit.ops.misc import Identity

INPUT = "image"

# torch (and the converters, which need it) is imported inside import_model, so `segkit check` stays torch-free.


@dataclass
class Imported:
    """An imported model: ``spec`` (YAML text) and ``state_dict`` (for ``segkit.build(spec)``)."""

    spec: str
    state_dict: dict
    outputs: tuple[str, ...]


def output_names(shapes: list[tuple], size: tuple[int, ...]) -> list[str]:
    """``c{log2 stride}`` when every output is a map at its own power-of-two (nominal)
    stride, else ``out0``, ``out1``, ..."""
    names = []
    for shape in shapes:
        stride = nominal_stride(size, tuple(shape[2:])) or 0
        names.append(f"c{stride.bit_length() - 1}" if stride and stride & (stride - 1) == 0 else None)
    if None in names or len(set(names)) != len(names):
        return [f"out{k}" for k in range(len(shapes))]
    return names


def _outputs(node) -> list:
    """The fx nodes the graph returns, in order (a value, a tuple/list, or a dict)."""
    result = node.args[0]
    if isinstance(result, dict):
        return list(result.values())
    return list(result) if isinstance(result, (list, tuple)) else [result]


def import_model(module, input="3x224x224", name: str | None = None) -> Imported:
    """Import ``module`` (evaluated at the example ``input`` size, "CxHxW") as a segkit spec."""
    import torch

    from segkit.importer.functions import convert_call
    from segkit.importer.modules import convert_module
    from segkit.importer.trace import propagate, trace

    try:
        shape = input if isinstance(input, Shape) else Shape.parse(input)
    except ValueError as exc:
        raise InputError(str(exc), SourceLoc("--input"), "sizes look like 3x224x224 (channels x H x W)") from None
    gm = trace(module)
    gm.eval()
    dtype = next((t.dtype for t in gm.parameters() if t.is_floating_point()), torch.float32)
    propagate(gm, torch.randn(1, *shape.as_tuple(), dtype=dtype))
    spec_name = name or type(module).__name__
    ctx = Context(gm, SpecBuilder(spec_name, INPUT, shape.channels, shape.spatial))
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            if INPUT in {v.ref for v in ctx.values.values() if isinstance(v, Feature)}:
                raise refusal(node, "placeholder", "a model with several inputs is not imported")
            ctx.values[node] = Feature(INPUT)
        elif node.op == "get_attr":
            ctx.values[node] = Const(_attr(gm, node.target))
        elif node.op == "call_module":
            x = ctx.feature(node, type(gm.get_submodule(node.target)).__name__, node.args[0], None)
            ctx.values[node] = convert_module(ctx, node, gm.get_submodule(node.target), x)
        elif node.op in ("call_function", "call_method"):
            ctx.values[node] = convert_call(ctx, node)
        elif node.op == "output":
            results = _outputs(node)
            features = [ctx.feature(node, "output", r) for r in results]
            shapes = [tuple(r.meta["tensor_meta"].shape) for r in results]
            for out_name, feature in zip(output_names(shapes, shape.spatial), features):
                if feature.ref == INPUT:  # an output must be a node's
                    feature = ctx.emit(Identity, out_name, [feature])
                ctx.spec.outputs[out_name] = feature.ref
    fuse_conv_bn_act(ctx.spec)
    text = ctx.spec.yaml(f"Imported from {type(module).__module__}.{type(module).__name__} by segkit import "
                         f"(example input {shape}).")
    return Imported(text, ctx.spec.state, tuple(ctx.spec.outputs))


def _attr(gm, target: str):
    value = gm
    for part in target.split("."):
        value = getattr(value, part)
    return value
