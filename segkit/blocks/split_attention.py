"""``split_attention``: the Split-Attention conv of ResNeSt (Zhang et al., "ResNeSt:
Split-Attention Networks", 2020, Sec. 3 and Fig. 2), as timm's ``SplitAttn`` computes it.

1. A grouped conv from C to ``radix`` x ``out`` channels (``groups`` x ``radix``
   groups: every cardinal group split into ``radix`` splits), then BN and ReLU;
2. the splits summed (the ``radix`` slices of ``out`` channels), globally average
   pooled, and passed through a 1x1 conv (``groups`` groups, with bias) to ``attn``
   channels, BN and ReLU, then a 1x1 conv (``groups`` groups, with bias) back to
   ``radix`` x ``out``;
3. r-Softmax: per cardinal group and channel, a softmax over the ``radix`` splits (a
   sigmoid when ``radix`` is 1);
4. the output: the splits weighted by their attention and summed, ``out`` channels.

``attn`` defaults to timm's (and the paper code's) width: C x radix / 4 rounded to a
multiple of 8, at least 32. Parameters: the three convs (with the two 1x1 convs'
biases) and the two BNs' affine params. MACs count the three convs, as
``torch.utils.flop_counter`` does. Each output pixel sees the whole input (the pooled
attention); the output grid is the first conv's. Any spatial rank 1-3; module names
follow timm (``conv``, ``bn0``, ``fc1``, ``bn1``, ``fc2``), so its state dict loads as is.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal

from segkit.core.block import Block, Params, expect
from segkit.core.shape import Geometry, Inference, Shape
from segkit.ops.conv import check_rank, conv_geometry, conv_sizes, positive, torch_padding
from segkit.ops.params import Eps, Padding, PosInt, Sizes
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.

ACTS = Literal["relu", "relu6", "silu", "gelu", "hardswish"]
"""Parameter-free activations the block applies after each BN."""


class SplitAttentionParams(Params):
    out: PosInt
    """Output channels (the width of one split)."""
    kernel: Sizes = 3
    """Kernel size of the first conv."""
    stride: Sizes = 1
    """Stride of the first conv."""
    padding: Padding = "auto"
    """Padding of the first conv (see conv)."""
    dilation: Sizes = 1
    """Dilation of the first conv."""
    groups: PosInt = 1
    """Cardinality K: the cardinal groups (the first conv has groups x radix groups)."""
    radix: PosInt = 2
    """Splits R per cardinal group (2 in ResNeSt; 1 is a grouped conv with a sigmoid gate)."""
    attn: PosInt | None = None
    """Channels of the attention bottleneck; unset: C x radix / 4 rounded to a multiple
    of 8, at least 32 (timm's ``SplitAttn``)."""
    bias: bool = False
    """Bias of the first conv."""
    norm: Literal["bn", "none"] = "bn"
    """The norm after the first conv and after the bottleneck conv."""
    eps: Eps = 1e-5
    """The norms' epsilon."""
    act: ACTS = "relu"
    """The activation after each norm."""


def attn_channels(p: SplitAttentionParams, channels: int) -> int:
    """The bottleneck width: ``attn``, or timm's ``make_divisible(C * radix / 4, 8, 32)``."""
    if p.attn is not None:
        return p.attn
    wanted = Fraction(channels * p.radix, 4)
    rounded = max(32, math.floor(wanted + 4) // 8 * 8)
    return rounded + 8 if rounded < Fraction(9, 10) * wanted else rounded


class SplitAttention(Block):
    """Split-Attention conv of ResNeSt (Zhang et al., 2020): a grouped conv into radix
    splits + BN + ReLU, attention from the pooled sum of the splits (1x1 conv, BN, ReLU,
    1x1 conv, softmax over the splits), output the attention-weighted sum of the splits."""

    name = "split_attention"
    Params = SplitAttentionParams
    min_rank = 1
    max_rank = 3

    def infer(self, p, x: Shape) -> Inference:
        check_rank(x, "split_attention")
        kernel, _, dilation = conv_geometry(p, x.rank)
        mid, attn = p.out * p.radix, attn_channels(p, x.channels)
        expect(x.channels % (p.groups * p.radix) == 0,
               f"groups x radix = {p.groups * p.radix} must divide the input channels {x.channels}")
        expect(p.out % p.groups == 0, f"groups={p.groups} must divide out {p.out}", param="out")
        expect(attn % p.groups == 0, f"groups={p.groups} must divide attn {attn}", param="attn")
        spatial = conv_sizes(p, x.spatial)
        expect(all(s >= 1 for s in spatial),
               f"input {x} is too small for kernel {list(kernel)} dilation {list(dilation)} (output {spatial})",
               "give a larger input or reduce kernel/dilation")
        conv = mid * (x.channels // (p.groups * p.radix)) * math.prod(kernel)
        fc1, fc2 = attn * (p.out // p.groups), mid * (attn // p.groups)
        norms = 2 * (mid + attn) if p.norm == "bn" else 0
        params = conv + (mid if p.bias else 0) + fc1 + attn + fc2 + mid + norms
        return Inference({"out": Shape(p.out, spatial)}, params=params,
                         macs=conv * math.prod(spatial) + fc1 + fc2, geometry=Geometry.whole())

    def spatial_rule(self, p, x):
        return positive(conv_sizes(p, x))

    def build(self, p, x: Shape):
        from segkit.blocks.split_attention_nn import SplitAttentionConv

        kernel, stride, dilation = conv_geometry(p, x.rank)
        return SplitAttentionConv(x.channels, p.out, x.rank, kernel, stride,
                                  torch_padding(p.padding, kernel, dilation, x.rank), dilation, p.groups, p.radix,
                                  attn_channels(p, x.channels), p.bias, p.norm == "bn", p.eps, p.act)


@hookimpl
def segkit_register_blocks(register):
    register(SplitAttention)
