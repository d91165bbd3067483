"""Converters for ``call_module`` nodes: one per family of torch (and timm) modules,
each mapping the module onto segkit primitive ops exactly, with its parameters and
buffers as the state of the emitted nodes. Imports torch; ``imported.py`` imports it."""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from segkit.blocks.split_attention import SplitAttention
from segkit.importer.errors import refusal
from segkit.importer.values import Feature
from segkit.ops.activation import Act
from segkit.ops.channel_norm import GRN, LN2d
from segkit.ops.conv import Conv, ConvTranspose
from segkit.ops.misc import Dropout
from segkit.ops.norm import BN, GN
from segkit.ops.padding import PadSame
from segkit.ops.pool import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, GlobalAvgPool, MaxPool
from segkit.ops.residual import DropPath
from segkit.ops.resize import Resize

ACT_KINDS = {nn.ReLU: "relu", nn.ReLU6: "relu6", nn.LeakyReLU: "leaky_relu", nn.PReLU: "prelu", nn.ELU: "elu",
             nn.GELU: "gelu", nn.SiLU: "silu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.Hardswish: "hardswish",
             nn.Hardsigmoid: "hardsigmoid"}
"""torch activation modules and segkit's ``act`` kind for each."""


def _size(values) -> int | list[int]:
    """An int when every dim agrees (the spec reads ``kernel: 3``), else a list."""
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    return values[0] if len(set(values)) == 1 else values


def own_state(module) -> dict:
    """The module's own parameters and buffers, not its children's."""
    return {k: v for k, v in module.state_dict().items() if "." not in k}


def _timm(*names: str) -> tuple:
    """timm's layer classes ``names`` (from ``timm.layers`` and its pooling and GRN
    modules), those this timm has; none without timm."""
    try:
        from timm import layers
        from timm.layers import grn, pool2d_same
    except ImportError:  # timm is optional
        return ()
    found = (next((getattr(m, n) for m in (layers, pool2d_same, grn) if hasattr(m, n)), None) for n in names)
    return tuple(cls for cls in found if cls is not None)


def _same_padding_classes() -> tuple:
    """timm's TF-"SAME" modules, whose padding depends on the input size."""
    return _timm("Conv2dSame", "MaxPool2dSame", "AvgPool2dSame")


def _overrides_understood() -> tuple:
    """Subclasses whose own ``forward`` the converters reproduce: the "SAME" modules and
    timm's ``BatchNormAct2d`` (bn, then its ``drop`` and ``act`` children)."""
    return _same_padding_classes() + _timm("BatchNormAct2d")


def whole_modules() -> tuple:
    """Module classes converted as a whole, onto one segkit block each (their forward
    reshapes by run-time sizes, which has no op-by-op form)."""
    return _timm("SplitAttn", "GlobalResponseNorm")


ATTENTION = ("Attention", "Attention2d", "MultiQueryAttention2d", "MultiQueryAttentionV2", "AttentionRope",
             "DiffAttention", "NonLocalAttn", "BatNonLocalAttn")
"""timm's self-attention modules (ViT's, MobileNetV4-hybrid's multi-query, non-local):
out of scope for segkit, which imports convolutional networks."""


def attention_modules() -> tuple:
    """timm's self-attention classes (those this timm has)."""
    try:
        from timm import layers
    except ImportError:  # timm is optional
        return ()
    return tuple(filter(None, (getattr(layers, n, None) for n in ATTENTION)))


def leaf_modules() -> tuple:
    """The classes tracing keeps whole: those converted whole, and self-attention, so
    that its refusal names the attention module rather than a shape read deep inside."""
    return whole_modules() + attention_modules()


def convert_conv(ctx, node, m, x: Feature) -> Feature:
    op = type(m).__name__
    if m.padding_mode != "zeros":
        raise refusal(node, op, f"padding_mode {m.padding_mode!r} has no segkit form", "only zero padding imports")
    kernel, stride, dilation = _size(m.kernel_size), _size(m.stride), _size(m.dilation)
    if isinstance(m, _same_padding_classes()):
        x = ctx.emit(PadSame, f"{node.target}.pad", [x], kernel=kernel, stride=stride, dilation=dilation)
        padding = 0
    else:
        padding = {"same": "same", "valid": 0}.get(m.padding, None) if isinstance(m.padding, str) else _size(m.padding)
    common = {"out": m.out_channels, "kernel": kernel, "stride": stride, "dilation": dilation, "groups": m.groups,
              "bias": m.bias is not None}
    if isinstance(m, nn.modules.conv._ConvTransposeNd):
        return ctx.emit(ConvTranspose, node.target, [x], own_state(m), padding=padding,
                        output_padding=_size(m.output_padding), **common)
    return ctx.emit(Conv, node.target, [x], own_state(m), padding=padding, **common)


def convert_bn(ctx, node, m, x: Feature) -> Feature:
    if not m.track_running_stats:
        raise refusal(node, type(m).__name__, "batch norm without running statistics has no segkit form")
    out = ctx.emit(BN, node.target, [x], own_state(m), eps=m.eps, momentum=m.momentum, affine=m.affine)
    for child in ("drop", "act"):  # timm's BatchNormAct2d: bn, then drop, then act
        sub = getattr(m, child, None)
        if isinstance(sub, nn.Module):
            out = convert_module(ctx, node, sub, out, f"{node.target}.{child}")
    return out


def convert_gn(ctx, node, m, x: Feature) -> Feature:
    return ctx.emit(GN, node.target, [x], own_state(m), groups=m.num_groups, eps=m.eps, affine=m.affine)


def convert_layer_norm(ctx, node, m, x: Feature) -> Feature:
    if not x.channels_last or len(m.normalized_shape) != 1:
        raise refusal(node, type(m).__name__, "only LayerNorm over the channels of a channels-last map imports")
    return ctx.emit(LN2d, node.target, [x], own_state(m), eps=m.eps, affine=m.elementwise_affine,
                    bias=m.bias is not None)


def convert_linear(ctx, node, m, x: Feature) -> Feature:
    """Linear over the channels of a channels-last map: a 1x1 conv on the channels-first one."""
    if not x.channels_last:
        raise refusal(node, "Linear", "a Linear that is not over the channels of a map has no segkit form",
                      "import the feature extractor (timm: features_only=True), without the classifier")
    state = {"weight": m.weight[:, :, None, None]}
    if m.bias is not None:
        state["bias"] = m.bias
    return ctx.emit(Conv, node.target, [x], state, out=m.out_features, kernel=1, padding=0, bias=m.bias is not None)


def convert_act(ctx, node, m, x: Feature) -> Feature:
    kind = next(k for cls, k in ACT_KINDS.items() if isinstance(m, cls))
    params = {}
    if kind == "leaky_relu":
        params["negative_slope"] = m.negative_slope
    if kind == "prelu":
        params["num_parameters"] = 1 if m.num_parameters == 1 else "channel"
    if (kind == "elu" and m.alpha != 1.0) or (kind == "gelu" and m.approximate != "none"):
        raise refusal(node, type(m).__name__, f"this {type(m).__name__} variant has no segkit form")
    return ctx.emit(Act, node.target, [x], own_state(m), kind=kind, **params)


def convert_pool(ctx, node, m, x: Feature) -> Feature:
    op = type(m).__name__
    kernel, stride = _size(m.kernel_size), _size(m.stride)
    same = isinstance(m, _same_padding_classes())
    if same:
        dilation = _size(getattr(m, "dilation", 1))
        x = ctx.emit(PadSame, f"{node.target}.pad", [x], kernel=kernel, stride=stride, dilation=dilation,
                     value=float("-inf") if isinstance(m, nn.MaxPool2d) else 0.0)
    padding = 0 if same else _size(m.padding)
    if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)):
        if m.return_indices:
            raise refusal(node, op, "max pooling with indices is not imported")
        return ctx.emit(MaxPool, node.target, [x], kernel=kernel, stride=stride, padding=padding,
                        dilation=_size(m.dilation), ceil_mode=m.ceil_mode)
    if getattr(m, "divisor_override", None) is not None:
        raise refusal(node, op, "divisor_override has no segkit form")
    return ctx.emit(AvgPool, node.target, [x], kernel=kernel, stride=stride, padding=padding, ceil_mode=m.ceil_mode,
                    count_include_pad=m.count_include_pad)


def adaptive(ctx, node, x: Feature, size, is_max: bool, name: str) -> Feature:
    """An adaptive pool to ``size``; average pooling to 1 is ``global_avgpool``."""
    sizes = size if isinstance(size, (list, tuple)) else [size]
    if any(s is None for s in sizes):
        raise refusal(node, "adaptive pool", "an output size of None (keep the input's) is not imported")
    if not is_max and set(sizes) == {1}:
        return ctx.emit(GlobalAvgPool, name, [x])
    return ctx.emit(AdaptiveMaxPool if is_max else AdaptiveAvgPool, name, [x], size=_size(sizes))


def convert_adaptive(ctx, node, m, x: Feature) -> Feature:
    is_max = isinstance(m, (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d))
    if getattr(m, "return_indices", False):
        raise refusal(node, type(m).__name__, "adaptive max pooling with indices is not imported")
    return adaptive(ctx, node, x, m.output_size, is_max, node.target)


def convert_grn(ctx, node, m, x: Feature) -> Feature:
    """timm's ``GlobalResponseNorm`` (ConvNeXt V2), in either layout: segkit's ``grn``."""
    if (m.channel_dim == -1) != x.channels_last:
        raise refusal(node, type(m).__name__, "global response norm over another layout than its input's")
    return ctx.emit(GRN, node.target, [x], own_state(m), eps=m.eps)


def convert_split_attention(ctx, node, m, x: Feature) -> Feature:
    """timm's ``SplitAttn`` (ResNeSt): segkit's ``split_attention``, whose module has
    timm's submodule names, so the state dict carries over as it is."""
    op = type(m).__name__
    norms, acts = (m.bn0, m.bn1), (m.act0, m.act1)
    if not isinstance(m.drop, nn.Identity):
        raise refusal(node, op, "split attention with DropBlock has no segkit form")
    if m.conv.padding_mode != "zeros" or isinstance(m.conv.padding, str):
        raise refusal(node, op, "split attention's conv pads only with explicit zero padding in segkit")
    if not (all(isinstance(n, nn.Identity) for n in norms) or all(
            type(n) in (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d) and n.affine and n.track_running_stats
            and n.momentum == 0.1 and n.eps == norms[0].eps for n in norms)):
        raise refusal(node, op, "split attention has no segkit form with these norms",
                      "segkit's split_attention has two affine BatchNorms (momentum 0.1, one eps) or none")
    kinds = {ACT_KINDS.get(type(a)) for a in acts}
    if len(kinds) != 1 or not kinds <= {"relu", "relu6", "silu", "hardswish"} and not (
            kinds == {"gelu"} and acts[0].approximate == acts[1].approximate == "none"):
        raise refusal(node, op, "split attention has no segkit form with these activations")
    params = {"out": m.conv.out_channels // m.radix, "kernel": _size(m.conv.kernel_size),
              "stride": _size(m.conv.stride), "padding": _size(m.conv.padding), "dilation": _size(m.conv.dilation),
              "groups": m.rsoftmax.cardinality, "radix": m.radix, "attn": m.fc1.out_channels,
              "bias": m.conv.bias is not None, "norm": "none" if isinstance(m.bn0, nn.Identity) else "bn",
              "act": kinds.pop()}
    if params["norm"] == "bn":
        params["eps"] = m.bn0.eps
    return ctx.emit(SplitAttention, node.target, [x], m.state_dict(), **params)


RESIZE_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear")
"""Interpolation modes segkit's ``resize`` calls ``F.interpolate`` with unchanged."""


def convert_upsample(ctx, node, m, x: Feature) -> Feature:
    """``nn.Upsample`` (and ``F.interpolate``) by a scale or to a fixed size: segkit's
    ``resize``, which calls ``F.interpolate`` with the same arguments."""
    op = type(m).__name__
    if m.mode not in RESIZE_MODES:
        raise refusal(node, op, f"interpolation mode {m.mode!r} has no segkit form",
                      f"segkit resizes with {', '.join(RESIZE_MODES)}")
    if getattr(m, "recompute_scale_factor", None) or getattr(m, "antialias", False):
        raise refusal(node, op, "recompute_scale_factor and antialias have no segkit form")
    resize = {"scale": _size([float(s) for s in (m.scale_factor if isinstance(m.scale_factor, (list, tuple))
                                                  else [m.scale_factor])])} \
        if m.scale_factor is not None else {"size": _size(m.size)}
    if m.align_corners is not None:
        resize["align_corners"] = bool(m.align_corners)
    return ctx.emit(Resize, node.target, [x], mode=m.mode, **resize)


def convert_dropout(ctx, node, m, x: Feature) -> Feature:
    return x if m.p == 0 else ctx.emit(Dropout, node.target, [x], p=m.p)


def convert_drop_path(ctx, node, m, x: Feature) -> Feature:
    """timm's ``DropPath`` and torchvision's ``StochasticDepth`` (per-sample, "row")."""
    p = getattr(m, "drop_prob", getattr(m, "p", 0.0))
    if getattr(m, "mode", "row") != "row":
        raise refusal(node, type(m).__name__, "stochastic depth over the whole batch has no segkit form")
    if p == 0:
        return x
    return ctx.emit(DropPath, node.target, [x], p=p, scale_by_keep=getattr(m, "scale_by_keep", True))


def _drop_path_classes() -> tuple:
    classes = []
    try:
        from timm.layers import DropPath as TimmDropPath
        classes.append(TimmDropPath)
    except ImportError:  # timm is optional
        pass
    try:
        from torchvision.ops import StochasticDepth
        classes.append(StochasticDepth)
    except ImportError:  # torchvision is optional
        pass
    return tuple(classes)


CONVERTERS = [
    ((nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d), convert_conv),
    ((nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d), convert_bn),
    ((nn.GroupNorm,), convert_gn),
    ((nn.LayerNorm,), convert_layer_norm),
    ((nn.Linear,), convert_linear),
    (tuple(ACT_KINDS), convert_act),
    ((nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d), convert_pool),
    ((nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d,
      nn.AdaptiveMaxPool3d), convert_adaptive),
    ((nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d), convert_dropout),
    ((nn.Upsample,), convert_upsample),
    (_timm("SplitAttn"), convert_split_attention),
    (_timm("GlobalResponseNorm"), convert_grn),
]
"""(module classes, converter) in the order they are tried."""


@dataclass(frozen=True)
class Child:
    """A child module an fx node calls through its parent (timm's ``BatchNormAct2d.act``):
    the fx node's name for refusals, the child's path for the node id."""

    name: str
    target: str


def convert_module(ctx, node, m, x: Feature, name: str | None = None) -> Feature:
    """The segkit form of module ``m`` applied to ``x`` (fx ``node`` calls it; ``name``:
    the path of a child module called through it)."""
    if isinstance(m, nn.Identity):
        return x
    if name is not None:
        node = Child(node.name, name)
    if isinstance(m, _drop_path_classes()):
        return convert_drop_path(ctx, node, m, x)
    if isinstance(m, attention_modules()):
        raise refusal(node, type(m).__name__, "self-attention has no segkit form: it is out of scope, segkit "
                      "imports convolutional networks", "import the model's convolutional part, or a CNN")
    for classes, convert in CONVERTERS:
        if isinstance(m, classes):
            if type(m).forward not in {c.forward for c in classes} and not isinstance(m, _overrides_understood()):
                raise refusal(node, type(m).__name__, f"its forward differs from {type(m).__mro__[1].__name__}'s, "
                              "so it has no known segkit form")
            return convert(ctx, node, m, x)
    raise refusal(node, type(m).__name__, "this module has no segkit form",
                  "segkit imports convs, norms, activations, pools, resizes, dropout and elementwise ops")
