"""Converters for ``call_function`` and ``call_method`` nodes, by the op's name:
elementwise sums and products, concatenation and channel splits, functional
activations and pools (converted through the module converters), channels-last permute
pairs (per-position ops between them act on the channels-first map), and
``mul`` by a per-channel parameter (layer scale). Ops on constants only are folded at
import time. Imports torch; ``imported.py`` imports it."""
from __future__ import annotations

import operator

import torch
from torch import nn

from segkit.importer.errors import refusal
from segkit.importer.modules import Child, adaptive, convert_drop_path, convert_module
from segkit.importer.values import Const, Feature, Parts
from segkit.ops.channel_norm import LN2d
from segkit.ops.channels import Slice, Split
from segkit.ops.merge import Add, Concat, Mul
from segkit.ops.padding import PadSame
from segkit.ops.residual import LayerScale

ACT_FUNCTIONS = {"relu": nn.ReLU, "relu6": nn.ReLU6, "gelu": nn.GELU, "silu": nn.SiLU, "sigmoid": nn.Sigmoid,
                 "tanh": nn.Tanh, "hardswish": nn.Hardswish, "hardsigmoid": nn.Hardsigmoid,
                 "leaky_relu": nn.LeakyReLU, "elu": nn.ELU}
"""Functional activations and the module each equals (its kwargs are the function's)."""
POOL_FUNCTIONS = {"max_pool1d": nn.MaxPool1d, "max_pool2d": nn.MaxPool2d, "max_pool3d": nn.MaxPool3d,
                  "avg_pool1d": nn.AvgPool1d, "avg_pool2d": nn.AvgPool2d, "avg_pool3d": nn.AvgPool3d}
PASS_THROUGH = {"contiguous", "clone"}
TO_CHANNELS_LAST = {3: (0, 2, 1), 4: (0, 2, 3, 1), 5: (0, 2, 3, 4, 1)}
TO_CHANNELS_FIRST = {3: (0, 2, 1), 4: (0, 3, 1, 2), 5: (0, 4, 1, 2, 3)}
"""The permutes of an N x C x ... tensor to channels-last and back, by its number of dims."""


def op_name(node) -> str:
    """``add`` for ``operator.add``, ``torch.add`` and ``x.add``; trailing ``_`` (in place) dropped."""
    target = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", str(node.target))
    return target.removeprefix("i").rstrip("_") if target in ("iadd", "imul") else target.rstrip("_")


def call_args(node) -> tuple[list, dict]:
    """The node's positional and keyword arguments, normalised to the function's signature where torch can."""
    if node.op == "call_function":
        normal = node.normalized_arguments(node.graph.owning_module, normalize_to_only_use_kwargs=True)
        if normal is not None:
            return [], dict(normal.kwargs)
    return list(node.args), dict(node.kwargs)


def first(args, kwargs, *names):
    """The first positional argument, or the first of ``names`` given by keyword."""
    if args:
        return args[0], args[1:]
    for name in names:
        if name in kwargs:
            return kwargs.pop(name), args
    raise KeyError(names)


def fold(ctx, node):
    """Evaluate ``node`` on constants (a parameter's reshape) at import time."""
    def real(arg):
        value = ctx.value(arg)
        return value.value if isinstance(value, Const) else value

    args = torch.fx.node.map_arg(node.args, real)
    kwargs = torch.fx.node.map_arg(node.kwargs, real)
    if node.op == "call_method":
        return Const(getattr(args[0], node.target)(*args[1:], **kwargs))
    return Const(node.target(*args, **kwargs))


def elementwise(ctx, node, name: str, args, kwargs):
    """``a + b`` or ``a * b`` (any number chained by fx as pairs)."""
    a, rest = first(args, kwargs, "input", "self")
    b = rest[0] if rest else kwargs.get("other")
    if kwargs.get("alpha", 1) != 1:
        raise refusal(node, name, "add with alpha has no segkit form")
    va, vb = ctx.value(a), ctx.value(b)
    if isinstance(va, Feature) and isinstance(vb, Feature):
        x, y = ctx.feature(node, name, a, None), ctx.feature(node, name, b, va.channels_last)
        return ctx.emit(Add if name == "add" else Mul, node.name, [x, y])
    feature, const = (va, vb) if isinstance(va, Feature) else (vb, va)
    if name == "mul" and isinstance(feature, Feature) and isinstance(const, Const):
        return layer_scale(ctx, node, feature, const.value)
    raise refusal(node, name, f"{name} of a feature map and a constant has no segkit form",
                  "a product with a per-channel parameter imports as layer_scale")


def layer_scale(ctx, node, x: Feature, gamma) -> Feature:
    """``x * gamma`` with one value per channel: segkit's layer_scale."""
    shape = node.meta["tensor_meta"].shape
    channels = shape[-1] if x.channels_last else shape[1]
    if not isinstance(gamma, torch.Tensor) or gamma.numel() != channels or gamma.dim() > len(shape) or \
            (gamma.dim() > 1 and not x.channels_last and gamma.shape[-(len(shape) - 1)] != channels):
        raise refusal(node, "mul", "a product with a constant that is not one value per channel has no segkit form")
    return ctx.emit(LayerScale, node.name, [x], {"gamma": gamma.reshape(-1)})


def concat(ctx, node, name, args, kwargs):
    tensors, rest = first(args, kwargs, "tensors")
    dim = rest[0] if rest else kwargs.get("dim", 0)
    xs = [ctx.feature(node, name, t, None) for t in tensors]
    rank = len(node.meta["tensor_meta"].shape)
    if xs[0].channels_last or dim not in (1, 1 - rank):
        raise refusal(node, name, f"concatenation along dim {dim} has no segkit form", "segkit concatenates channels")
    return xs[0] if len(xs) == 1 else ctx.emit(Concat, node.name, xs)


def split(ctx, node, name, args, kwargs):
    """``torch.split`` / ``chunk`` along the channels: a segkit split with outputs 0, 1, ..."""
    x, rest = first(args, kwargs, "input", "tensor", "self")
    x = ctx.feature(node, name, x)
    how = rest[0] if rest else kwargs.get("split_size_or_sections", kwargs.get("split_size", kwargs.get("chunks")))
    dim = rest[1] if len(rest) > 1 else kwargs.get("dim", 0)
    if dim != 1:
        raise refusal(node, name, f"a split along dim {dim} has no segkit form", "segkit splits channels")
    sizes = [out.shape[1] for out in node.meta["tensor_meta"]]
    equal = name == "chunk" or isinstance(how, int)
    params = {"parts": len(sizes)} if equal and len(set(sizes)) == 1 else {"sizes": sizes}
    ident = ctx.spec.emit(Split, node.name, [x.ref], **params)
    return Parts(ident, len(sizes))


def _channel_slice(index) -> bool:
    """Whether ``index`` is ``[:, a:b]``, optionally followed by ``:`` or ``...`` for the
    other dims (GhostNet writes ``x[:, :n, :, :]``)."""
    return isinstance(index, tuple) and len(index) >= 2 and index[0] == slice(None) \
        and isinstance(index[1], slice) and index[1].step in (None, 1) \
        and all(rest == slice(None) or rest is Ellipsis for rest in index[2:])


def getitem(ctx, node, name, args, kwargs):
    """A part of a split, or a channel slice ``x[:, a:b]``."""
    source, index = args
    value = ctx.value(source)
    if isinstance(value, Parts) and isinstance(index, int):
        return ctx.part(value, index % value.count)
    if isinstance(value, list) and isinstance(index, int):
        return value[index]
    if isinstance(value, Feature) and not value.channels_last and _channel_slice(index):
        channels = source.meta["tensor_meta"].shape[1]
        start, stop, _ = index[1].indices(channels)
        return ctx.emit(Slice, node.name, [value], start=start, stop=None if stop == channels else stop)
    raise refusal(node, "getitem", f"indexing with {index!r} has no segkit form", "channel slices x[:, a:b] import")


def permute(ctx, node, name, args, kwargs):
    x, rest = first(args, kwargs, "input", "self")
    dims = tuple(rest[0]) if len(rest) == 1 and isinstance(rest[0], (list, tuple)) else tuple(rest or kwargs["dims"])
    value = ctx.feature(node, name, x, None)
    table = TO_CHANNELS_FIRST if value.channels_last else TO_CHANNELS_LAST
    if table.get(len(dims)) != dims:
        raise refusal(node, name, f"permute{dims} is not a channels-last permute pair's half")
    return Feature(value.ref, not value.channels_last)


def activation(ctx, node, name, args, kwargs):
    x, rest = first(args, kwargs, "input", "self")
    kwargs.pop("inplace", None)
    if name == "leaky_relu" and rest:
        kwargs["negative_slope"] = rest[0]
    module = ACT_FUNCTIONS[name](**{k: v for k, v in kwargs.items() if k in ("negative_slope", "approximate",
                                                                                "alpha")})
    return convert_module(ctx, node, module, ctx.feature(node, name, x, None), node.name)


def pool(ctx, node, name, args, kwargs):
    x, _ = first(args, kwargs, "input")
    kwargs = {k: v for k, v in kwargs.items() if k not in ("input",)}
    return convert_module(ctx, node, POOL_FUNCTIONS[name](**kwargs), ctx.feature(node, name, x), node.name)


def adaptive_pool(ctx, node, name, args, kwargs):
    x, rest = first(args, kwargs, "input")
    size = rest[0] if rest else kwargs["output_size"]
    return adaptive(ctx, node, ctx.feature(node, name, x), size, "max" in name, node.name)


def mean(ctx, node, name, args, kwargs):
    """A mean over every spatial dim, keeping them: global average pooling."""
    x, rest = first(args, kwargs, "input", "self")
    dims = rest[0] if rest else kwargs.get("dim")
    keep = rest[1] if len(rest) > 1 else kwargs.get("keepdim", False)
    value = ctx.feature(node, name, x)
    rank = len(node.meta["tensor_meta"].shape)
    dims = {d % rank for d in (dims if isinstance(dims, (list, tuple)) else [dims])}
    if not keep or dims != set(range(2, rank)):
        raise refusal(node, name, "only a mean over all spatial dims with keepdim=True imports (global pooling)")
    return adaptive(ctx, node, value, 1, False, node.name)


def layer_norm(ctx, node, name, args, kwargs):
    x, rest = first(args, kwargs, "input")
    value = ctx.feature(node, name, x, True)
    shape = tuple(rest[0] if rest else kwargs["normalized_shape"])
    weight = ctx.value(kwargs.get("weight", rest[1] if len(rest) > 1 else None)).value
    bias = ctx.value(kwargs.get("bias", rest[2] if len(rest) > 2 else None)).value
    eps = kwargs.get("eps", rest[3] if len(rest) > 3 else 1e-5)
    if len(shape) != 1:
        raise refusal(node, name, "only a layer norm over the channels imports")
    state = {k: v for k, v in (("weight", weight), ("bias", bias)) if v is not None}
    return ctx.emit(LN2d, node.name, [value], state, eps=eps, affine=weight is not None, bias=bias is not None)


def dropout(ctx, node, name, args, kwargs):
    x, rest = first(args, kwargs, "input")
    p = rest[0] if rest else kwargs.get("p", 0.5)
    return convert_module(ctx, node, nn.Dropout(p), ctx.feature(node, name, x, None), node.name)


def pad_same(ctx, node, name, args, kwargs):
    """timm's ``pad_same`` function (left unwrapped by its tracer)."""
    x, rest = first(args, kwargs, "x")
    names = ("kernel_size", "stride", "dilation", "value")
    given = dict(zip(names, rest)) | {k: v for k, v in kwargs.items() if k in names}
    kernel = given["kernel_size"]
    stride, dilation = given.get("stride", 1), given.get("dilation", 1)
    sizes = [list(v) if isinstance(v, (list, tuple)) else v for v in (kernel, stride, dilation)]
    return ctx.emit(PadSame, node.name, [ctx.feature(node, name, x)],
                    kernel=sizes[0], stride=sizes[1], dilation=sizes[2], value=float(given.get("value", 0)))


def interpolate(ctx, node, name, args, kwargs):
    """``F.interpolate`` by a constant scale or to a constant size, as ``nn.Upsample``."""
    x, rest = first(args, kwargs, "input")
    names = ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias")
    given = dict(zip(names, rest)) | {k: v for k, v in kwargs.items() if k in names}
    if not all(isinstance(ctx.value(given.get(k)), Const) for k in ("size", "scale_factor")):
        raise refusal(node, name, "a resize to a size computed at run time has no segkit form",
                      "a constant scale or size imports")
    module = nn.Upsample(**{k: given[k] for k in names[:4] if k in given},
                         recompute_scale_factor=given.get("recompute_scale_factor"))
    module.antialias = given.get("antialias", False)
    return convert_module(ctx, node, module, ctx.feature(node, name, x), node.name)


def stochastic_depth(ctx, node, name, args, kwargs):
    """torchvision's ``stochastic_depth`` function, as its ``StochasticDepth`` module."""
    x, _ = first(args, kwargs, "input")
    p, mode = kwargs.get("p", args[1] if len(args) > 1 else 0.0), kwargs.get("mode", args[2] if len(args) > 2 else "row")
    module = type("StochasticDepth", (), {"p": p, "mode": mode})()
    return convert_drop_path(ctx, Child(node.name, node.name), module, ctx.feature(node, name, x, None))


def passthrough(ctx, node, name, args, kwargs):
    x, _ = first(args, kwargs, "input", "self")
    return ctx.feature(node, name, x, None)


CONVERTERS = {"add": elementwise, "mul": elementwise, "cat": concat, "concat": concat, "split": split,
              "chunk": split, "getitem": getitem, "permute": permute, "mean": mean, "layer_norm": layer_norm,
              "dropout": dropout, "pad_same": pad_same, "interpolate": interpolate, "stochastic_depth": stochastic_depth,
              **dict.fromkeys(ACT_FUNCTIONS, activation), **dict.fromkeys(POOL_FUNCTIONS, pool),
              **dict.fromkeys(("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
                               "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"), adaptive_pool),
              **dict.fromkeys(PASS_THROUGH, passthrough)}
"""Function and method names and their converters."""


def convert_call(ctx, node):
    """The value of a ``call_function`` / ``call_method`` node."""
    inputs = node.all_input_nodes
    if inputs and all(isinstance(ctx.values[n], Const) for n in inputs):
        return fold(ctx, node)
    name = op_name(node)
    if node.target is operator.getitem:
        name = "getitem"
    convert = CONVERTERS.get(name)
    if name in ("getattr", "size", "dim"):
        raise refusal(node, name, "reading a tensor's run-time size has no segkit form: segkit's ops have "
                      "static shapes", "size-dependent reshapes (attention, pixel shuffles) are not imported")
    if convert is None:
        raise refusal(node, name, "this operation has no segkit form")
    args, kwargs = (list(node.args), dict(node.kwargs)) if name in ("getitem", "split", "chunk") else call_args(node)
    return convert(ctx, node, name, args, kwargs)

