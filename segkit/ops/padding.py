"""TensorFlow "SAME" padding, ``pad_same``: pad so that a following window op (conv or
pool with the same kernel, stride and dilation, and no padding of its own) outputs
``ceil(n / stride)`` per dim, the extra pixel going after (right/bottom). The padding
depends on the input size, so networks trained in TensorFlow (Tan & Le,
"EfficientNet", ICML 2019; "EfficientNetV2", ICML 2021) and their timm ports
(``Conv2dSame``, ``MaxPool2dSame``, ``AvgPool2dSame``) are reproduced exactly.
Stateless: the compiled graph calls ``segkit.ops.padding_fn.pad_same`` inline."""
from __future__ import annotations

from segkit.core.block import Block, Params, expect, per_dim
from segkit.core.shape import POINTWISE, Inference, Shape
from segkit.core.size_algebra import Dim, SpatialRule, select
from segkit.ops.conv import check_rank
from segkit.ops.params import Sizes
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.


class PadSameParams(Params):
    kernel: Sizes
    """Kernel of the window op that follows."""
    stride: Sizes = 1
    """Its stride."""
    dilation: Sizes = 1
    """Its dilation."""
    value: float = 0.0
    """The fill: 0 before a conv or average pool, -inf (YAML ``-.inf``) before a max pool."""


def same_pad(size, kernel: int, stride: int, dilation: int):
    """Total "SAME" padding along one dim for input ``size`` (an int or a symbolic Dim):
    max((ceil(size / stride) - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)."""
    need = ((size + stride - 1) // stride - 1) * stride + (kernel - 1) * dilation + 1 - size
    if isinstance(need, Dim):
        return select(need >= 0, need, 0)
    return max(need, 0)


def pads(p, x: tuple) -> tuple:
    """The total padding per dim of input sizes ``x``."""
    rank = len(x)
    return tuple(same_pad(s, k, st, d) for s, k, st, d in
                 zip(x, per_dim(p.kernel, rank, "kernel"), per_dim(p.stride, rank, "stride"),
                     per_dim(p.dilation, rank, "dilation")))


class PadSame(Block):
    """TensorFlow "SAME" padding for the window op that follows (``F.pad`` by a size
    computed from the input, half before and the rest after)."""

    name = "pad_same"
    Params = PadSameParams
    min_rank = 1
    max_rank = 3

    def infer(self, p, x: Shape) -> Inference:
        check_rank(x, "pad_same")
        expect(p.value == 0 or p.value == float("-inf"), f"value {p.value} must be 0 or -inf (-.inf)")
        return Inference({"out": x.with_spatial(tuple(s + t for s, t in zip(x.spatial, pads(p, x.spatial))))},
                         geometry=POINTWISE)

    def spatial_rule(self, p, x):
        return SpatialRule({"out": tuple(s + t for s, t in zip(x, pads(p, x)))})

    def call(self, p):
        from segkit.ops import padding_fn

        return padding_fn.pad_same, {"kernel": p.kernel, "stride": p.stride, "dilation": p.dilation,
                                     "value": p.value}


@hookimpl
def segkit_register_blocks(register):
    register(PadSame)
