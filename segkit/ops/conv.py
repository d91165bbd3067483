"""Convolutions: ``conv`` (incl. dilated/atrous and grouped), ``conv_transpose`` and
``sepconv`` (depthwise-separable, Chollet, "Xception", CVPR 2017; atrous form from Chen
et al., "DeepLab v3+", ECCV 2018). Any spatial rank PyTorch supports (1-3)."""
from __future__ import annotations

import math
from typing import Literal

from segkit.core.block import Block, Params, expect, per_dim
from segkit.core.shape import Geometry, Inference, Shape
from segkit.core.size_algebra import SpatialRule, every
from segkit.ops.params import Eps, NonNegSizes, Padding, PosInt, Sizes
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



def conv_out(size: int, kernel: int, stride: int, pad_total: int, dilation: int) -> int:
    """PyTorch's convolution output size along one dim."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def resolve_padding(padding, kernel, stride, dilation, rank) -> tuple[int, ...]:
    """Total padding per dim (both sides) for the conv padding param."""
    if padding == "same":
        expect(all(s == 1 for s in stride), "padding 'same' needs stride 1 (as in PyTorch)",
               "use padding: auto, or an explicit padding")
        return tuple(d * (k - 1) for k, d in zip(kernel, dilation))
    if padding == "auto":
        return tuple(2 * (d * (k - 1) // 2) for k, d in zip(kernel, dilation))
    return tuple(2 * p for p in per_dim(padding, rank, "padding"))


def torch_padding(padding, kernel, dilation, rank):
    """The padding argument for torch's ConvNd."""
    if padding == "same":
        return "same"
    if padding == "auto":
        return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
    return per_dim(padding, rank, "padding")


def check_rank(shape: Shape, op: str) -> None:
    expect(1 <= shape.rank <= 3, f"{op} needs 1 to 3 spatial dims, got input {shape}")


class ConvParams(Params):
    out: PosInt
    """Output channels."""
    kernel: Sizes = 3
    """Kernel size, one int or one per spatial dim."""
    stride: Sizes = 1
    """Stride."""
    padding: Padding = "auto"
    """Zero padding per side; "auto" = dilation*(kernel-1)//2, "same" keeps the size."""
    dilation: Sizes = 1
    """Dilation (atrous rate)."""
    groups: PosInt = 1
    """Groups; equal to the input channels for a depthwise conv."""
    bias: bool = True
    """Learnable bias."""


def conv_geometry(p, rank: int):
    """Kernel, stride and dilation per dim of a conv-like params model."""
    kernel = per_dim(p.kernel, rank, "kernel")
    stride = per_dim(p.stride, rank, "stride")
    dilation = per_dim(p.dilation, rank, "dilation")
    return kernel, stride, dilation


def conv_sizes(p, x: tuple) -> tuple:
    """Output sizes of the conv ``p`` (any params model with kernel, stride, padding and
    dilation) for input sizes ``x``: ints, or symbolic ``Dim``s for ``spatial_rule``."""
    kernel, stride, dilation = conv_geometry(p, len(x))
    pads = resolve_padding(p.padding, kernel, stride, dilation, len(x))
    return tuple(conv_out(s, k, st, pd, d) for s, k, st, pd, d in zip(x, kernel, stride, pads, dilation))


def transposed_sizes(p, x: tuple) -> tuple:
    """Output sizes of the transposed conv ``p`` for input sizes ``x`` (ints or Dims)."""
    kernel, stride, dilation = conv_geometry(p, len(x))
    padding = per_dim(p.padding, len(x), "padding")
    out_pad = per_dim(p.output_padding, len(x), "output_padding")
    return tuple((s - 1) * st - 2 * pd + d * (k - 1) + op + 1
                 for s, k, st, pd, op, d in zip(x, kernel, stride, padding, out_pad, dilation))


def positive(sizes: tuple) -> SpatialRule:
    """The rule of a block whose only size check is that its outputs ``sizes`` are >= 1."""
    return SpatialRule({"out": sizes}, every(s >= 1 for s in sizes))


class Conv(Block):
    """N-d convolution (``torch.nn.ConvNd``), including atrous and grouped forms
    (atrous: Chen et al., "DeepLab", TPAMI 2017; Yu & Koltun, ICLR 2016)."""

    name = "conv"
    Params = ConvParams
    min_rank = 1
    max_rank = 3

    def infer(self, p, x: Shape) -> Inference:
        check_rank(x, "conv")
        kernel, stride, dilation = conv_geometry(p, x.rank)
        expect(x.channels % p.groups == 0 and p.out % p.groups == 0,
               f"groups={p.groups} must divide input channels {x.channels} and out {p.out}")
        spatial = conv_sizes(p, x.spatial)
        expect(all(s >= 1 for s in spatial),
               f"input {x} is too small for kernel {list(kernel)} dilation {list(dilation)} (output {spatial})",
               "give a larger input or reduce kernel/dilation")
        weight = p.out * (x.channels // p.groups) * math.prod(kernel)
        out = Shape(p.out, spatial)
        return Inference({"out": out}, params=weight + (p.out if p.bias else 0),
                         macs=weight * math.prod(spatial),
                         geometry=Geometry.window([d * (k - 1) + 1 for k, d in zip(kernel, dilation)], stride))

    def spatial_rule(self, p, x):
        return positive(conv_sizes(p, x))

    def build(self, p, x: Shape):
        import torch.nn as nn

        kernel, stride, dilation = conv_geometry(p, x.rank)
        cls = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[x.rank - 1]
        return cls(x.channels, p.out, kernel, stride, torch_padding(p.padding, kernel, dilation, x.rank),
                   dilation, p.groups, p.bias)


class ConvTransposeParams(Params):
    out: PosInt
    """Output channels."""
    kernel: Sizes = 2
    """Kernel size."""
    stride: Sizes = 1
    """Stride (the upsampling factor)."""
    padding: NonNegSizes = 0
    """Implicit zero padding removed from both sides of the output."""
    output_padding: NonNegSizes = 0
    """Extra size added to one side of the output; must be < stride or < dilation."""
    dilation: Sizes = 1
    """Dilation."""
    groups: PosInt = 1
    """Groups."""
    bias: bool = True
    """Learnable bias."""


class ConvTranspose(Block):
    """N-d transposed convolution (``torch.nn.ConvTransposeNd``), the learned
    upsampling of Long et al., "FCN", CVPR 2015. Output size:
    (in - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1."""

    name = "conv_transpose"
    Params = ConvTransposeParams
    min_rank = 1
    max_rank = 3

    def infer(self, p, x: Shape) -> Inference:
        check_rank(x, "conv_transpose")
        kernel, stride, dilation = conv_geometry(p, x.rank)
        padding = per_dim(p.padding, x.rank, "padding")
        out_pad = per_dim(p.output_padding, x.rank, "output_padding")
        expect(x.channels % p.groups == 0 and p.out % p.groups == 0,
               f"groups={p.groups} must divide input channels {x.channels} and out {p.out}")
        expect(all(op < s or op < d for op, s, d in zip(out_pad, stride, dilation)),
               f"output_padding {list(out_pad)} must be smaller than stride or dilation")
        spatial = transposed_sizes(p, x.spatial)
        expect(all(s >= 1 for s in spatial), f"padding {list(padding)} leaves no output for input {x}")
        weight = x.channels * (p.out // p.groups) * math.prod(kernel)
        return Inference({"out": Shape(p.out, spatial)}, params=weight + (p.out if p.bias else 0),
                         macs=weight * math.prod(x.spatial),
                         geometry=Geometry.upsample(stride, [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]))

    def spatial_rule(self, p, x):
        return positive(transposed_sizes(p, x))

    def build(self, p, x: Shape):
        import torch.nn as nn

        kernel, stride, dilation = conv_geometry(p, x.rank)
        cls = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[x.rank - 1]
        return cls(x.channels, p.out, kernel, stride, per_dim(p.padding, x.rank, "padding"),
                   per_dim(p.output_padding, x.rank, "output_padding"), p.groups, p.bias, dilation)


class SepConvParams(Params):
    out: PosInt
    """Output channels of the pointwise conv."""
    kernel: Sizes = 3
    """Depthwise kernel size."""
    stride: Sizes = 1
    """Depthwise stride."""
    padding: Padding = "auto"
    """Depthwise padding (see conv)."""
    dilation: Sizes = 1
    """Depthwise dilation (atrous rate)."""
    multiplier: PosInt = 1
    """Depthwise channel multiplier."""
    mid_norm: Literal["none", "bn"] = "none"
    """Norm between depthwise and pointwise ("bn" in DeepLab v3+'s Xception)."""
    mid_act: Literal["none", "relu"] = "none"
    """Activation between depthwise and pointwise."""
    mid_eps: Eps = 1e-5
    """Epsilon of the mid norm (TensorFlow-trained networks use 1e-3)."""
    bias: bool = False
    """Bias of the pointwise conv (the depthwise conv has none)."""


class SepConv(Block):
    """Depthwise-separable convolution: depthwise kxk (optionally atrous) then 1x1
    pointwise (Chollet, "Xception", CVPR 2017; Chen et al., "DeepLab v3+", ECCV 2018)."""

    name = "sepconv"
    Params = SepConvParams
    min_rank = 1
    max_rank = 3

    def parts(self, p, x: Shape):
        mid = x.channels * p.multiplier
        depthwise = ConvParams(out=mid, kernel=p.kernel, stride=p.stride, padding=p.padding,
                               dilation=p.dilation, groups=x.channels, bias=False)
        pointwise = ConvParams(out=p.out, kernel=1, bias=p.bias)
        return depthwise, pointwise

    def infer(self, p, x: Shape) -> Inference:
        depthwise, pointwise = self.parts(p, x)
        dw = Conv().infer(depthwise, x)
        pw = Conv().infer(pointwise, dw.out)
        norm = 2 * dw.out.channels if p.mid_norm == "bn" else 0
        return Inference(pw.outputs, params=dw.params + pw.params + norm, macs=dw.macs + pw.macs,
                         geometry=dw.geometry)

    def spatial_rule(self, p, x):
        return positive(conv_sizes(p, x))  # the depthwise conv's; the pointwise 1x1 keeps them

    def build(self, p, x: Shape):
        import torch.nn as nn

        depthwise, pointwise = self.parts(p, x)
        layers = {"depthwise": Conv().build(depthwise, x)}
        mid = x.with_channels(depthwise.out)
        if p.mid_norm == "bn":
            layers["bn"] = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[x.rank - 1](depthwise.out, eps=p.mid_eps)
        if p.mid_act == "relu":
            layers["act"] = nn.ReLU(inplace=True)
        layers["pointwise"] = Conv().build(pointwise, mid)
        return nn.Sequential(__import__("collections").OrderedDict(layers))


@hookimpl
def segkit_register_blocks(register):
    for block in (Conv, ConvTranspose, SepConv):
        register(block)
