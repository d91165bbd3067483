"""Norms of ConvNeXt-style networks, over the channels at each position: ``ln2d``,
LayerNorm over the channels (Liu et al., "A ConvNet for the 2020s", CVPR 2022; Ba et
al., "Layer Normalization", 2016), and ``grn``, Global Response Normalization (Woo et
al., "ConvNeXt V2", CVPR 2023). Both keep the shape, of any spatial rank, and cost no
MACs; the modules are in ``segkit/ops/channel_norm_nn.py``."""
from __future__ import annotations

from segkit.core.block import Block, Params, expect
from segkit.core.shape import POINTWISE, Geometry, Inference, Shape
from segkit.core.size_algebra import keeps_size
from segkit.ops.params import Eps
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.


class LN2dParams(Params):
    eps: Eps = 1e-6
    """Added to the variance (ConvNeXt uses 1e-6)."""
    affine: bool = True
    """Learn a per-channel scale."""
    bias: bool = True
    """Learn a per-channel shift (with affine)."""


class LN2d(Block):
    """LayerNorm over the channels of each position of a channels-first map
    (``LayerNorm2d`` of ConvNeXt): statistics over C only, a scale and shift per channel."""

    name = "ln2d"
    Params = LN2dParams
    spatial_rule = keeps_size

    def infer(self, p, x: Shape) -> Inference:
        expect(p.affine or not p.bias, "bias needs affine")
        return Inference({"out": x}, params=(1 + p.bias) * x.channels if p.affine else 0,
                         geometry=POINTWISE)

    def build(self, p, x: Shape):
        from segkit.ops.channel_norm_nn import LayerNorm2d

        return LayerNorm2d(x.channels, eps=p.eps, elementwise_affine=p.affine, bias=p.bias)


class GRNParams(Params):
    eps: Eps = 1e-6
    """Added to the mean response."""


class GRN(Block):
    """Global Response Normalization: x + gamma * (x * N(x)) + beta, with N(x) the
    spatial L2 norm of each channel divided by its mean over the channels (+ eps);
    gamma and beta learned per channel, both starting at zero."""

    name = "grn"
    Params = GRNParams
    spatial_rule = keeps_size
    min_rank = 1

    def infer(self, p, x: Shape) -> Inference:
        expect(x.rank >= 1, f"grn needs spatial dims, got input {x}")
        return Inference({"out": x}, params=2 * x.channels, geometry=Geometry.whole())

    def build(self, p, x: Shape):
        from segkit.ops.channel_norm_nn import GlobalResponseNorm

        return GlobalResponseNorm(x.channels, eps=p.eps)


@hookimpl
def segkit_register_blocks(register):
    for block in (LN2d, GRN):
        register(block)
