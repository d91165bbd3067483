"""Pooling: ``maxpool`` (optionally returning argmax indices), ``avgpool``, the adaptive
pools and ``global_avgpool`` (global context as in Zhao et al., "PSPNet", CVPR 2017 and
Chen et al., "DeepLab v3", 2017), and ``unpool``, the max-unpooling that reuses the
encoder's pooling indices (Badrinarayanan et al., "SegNet", TPAMI 2017). Spatial rank
1 to 3, as in PyTorch."""
from __future__ import annotations

from typing import Annotated, ClassVar, Optional

from segkit.block import Block, Params, Ref, expect, per_dim
from segkit.hookspecs import hookimpl
from segkit.ops.conv import check_rank
from segkit.ops.params import NonNegSizes, Sizes
from segkit.shapes import Geometry, Inference, Shape


def pool_out(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size along one dim: with ``ceil_mode`` the last window
    must still start inside the input or its left padding."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def window(p, x: Shape, op: str):
    """Kernel, stride and padding per dim, checked as PyTorch checks them."""
    check_rank(x, op)
    kernel = per_dim(p.kernel, x.rank, "kernel")
    stride = per_dim(p.stride if p.stride is not None else p.kernel, x.rank, "stride")
    padding = per_dim(p.padding, x.rank, "padding")
    expect(all(pd <= k // 2 for pd, k in zip(padding, kernel)),
           f"padding {list(padding)} must be at most half the kernel {list(kernel)} (a PyTorch limit)")
    return kernel, stride, padding


def pooled(x: Shape, kernel, stride, padding, dilation, ceil_mode: bool) -> Shape:
    spatial = tuple(pool_out(*args, ceil_mode) for args in zip(x.spatial, kernel, stride, padding, dilation))
    expect(all(s >= 1 for s in spatial),
           f"input {x} is too small for kernel {list(kernel)} with padding {list(padding)} (output {spatial})",
           "give a larger input, or a smaller kernel")
    return x.with_spatial(spatial)


class MaxPoolParams(Params):
    kernel: Sizes = 2
    """Window size."""
    stride: Optional[Sizes] = None
    """Stride; defaults to the kernel (non-overlapping windows)."""
    padding: NonNegSizes = 0
    """Implicit -inf padding per side; at most half the kernel."""
    dilation: Sizes = 1
    """Spacing between window elements."""
    ceil_mode: bool = False
    """Round the output size up, keeping a last partial window."""
    return_indices: bool = False
    """Also output the argmax ``indices`` for ``unpool``."""


class MaxPool(Block):
    """Max pooling (``torch.nn.MaxPoolNd``); with ``return_indices`` a second output
    ``indices`` holds the argmax positions (SegNet)."""

    name = "maxpool"
    Params = MaxPoolParams
    min_rank = 1
    max_rank = 3

    def output_names(self, p) -> tuple[str, ...]:
        return ("out", "indices") if p.return_indices else ("out",)

    def infer(self, p, x: Shape) -> Inference:
        kernel, stride, padding = window(p, x, "maxpool")
        dilation = per_dim(p.dilation, x.rank, "dilation")
        out = pooled(x, kernel, stride, padding, dilation, p.ceil_mode)
        return Inference(dict.fromkeys(self.output_names(p), out),
                         geometry=Geometry.window([d * (k - 1) + 1 for k, d in zip(kernel, dilation)], stride))

    def build(self, p, x: Shape):
        import torch.nn as nn

        cls = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[x.rank - 1]
        kernel, stride, padding = window(p, x, "maxpool")
        return cls(kernel, stride, padding, per_dim(p.dilation, x.rank, "dilation"), p.return_indices, p.ceil_mode)


class AvgPoolParams(Params):
    kernel: Sizes = 2
    """Window size."""
    stride: Optional[Sizes] = None
    """Stride; defaults to the kernel."""
    padding: NonNegSizes = 0
    """Implicit zero padding per side; at most half the kernel."""
    ceil_mode: bool = False
    """Round the output size up, keeping a last partial window."""
    count_include_pad: bool = True
    """Count padded zeros in the average."""


class AvgPool(Block):
    """Average pooling (``torch.nn.AvgPoolNd``)."""

    name = "avgpool"
    Params = AvgPoolParams
    min_rank = 1
    max_rank = 3

    def infer(self, p, x: Shape) -> Inference:
        kernel, stride, padding = window(p, x, "avgpool")
        expect(x.rank < 3 or all(s >= k for s, k in zip(x.spatial, kernel)),
               f"3-d average pooling needs the unpadded input {x} to be at least the kernel {list(kernel)} "
               "(a PyTorch limit)")
        out = pooled(x, kernel, stride, padding, (1,) * x.rank, p.ceil_mode)
        return Inference({"out": out}, geometry=Geometry.window(kernel, stride))

    def build(self, p, x: Shape):
        import torch.nn as nn

        cls = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)[x.rank - 1]
        kernel, stride, padding = window(p, x, "avgpool")
        return cls(kernel, stride, padding, p.ceil_mode, p.count_include_pad)


class AdaptiveParams(Params):
    size: Sizes
    """Output size, one int or one per spatial dim (may exceed the input's)."""


class AdaptiveAvgPool(Block):
    """Adaptive average pooling (``torch.nn.AdaptiveAvgPoolNd``) to a fixed output size,
    the bins of PSPNet's pyramid pooling module."""

    name = "adaptive_avgpool"
    Params = AdaptiveParams
    min_rank = 1
    max_rank = 3
    modules: ClassVar[tuple[str, ...]] = ("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d")

    def infer(self, p, x: Shape) -> Inference:
        check_rank(x, self.name)
        return Inference({"out": x.with_spatial(per_dim(p.size, x.rank, "size"))}, geometry=Geometry.whole())

    def build(self, p, x: Shape):
        import torch.nn as nn

        return getattr(nn, self.modules[x.rank - 1])(per_dim(p.size, x.rank, "size"))


class AdaptiveMaxPool(AdaptiveAvgPool):
    """Adaptive max pooling (``torch.nn.AdaptiveMaxPoolNd``) to a fixed output size."""

    name = "adaptive_maxpool"
    modules = ("AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d")


class GlobalAvgPool(Block):
    """Global average pooling to ``Cx1x..x1``, keeping the spatial dims so that the
    result broadcasts against or upsamples back to the feature map (image pooling of
    DeepLab v3, ParseNet's global context)."""

    name = "global_avgpool"
    min_rank = 1
    max_rank = 3

    def infer(self, p, x: Shape) -> Inference:
        check_rank(x, "global_avgpool")
        return Inference({"out": x.with_spatial((1,) * x.rank)}, geometry=Geometry.whole())

    def build(self, p, x: Shape):
        import torch.nn as nn

        return (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)[x.rank - 1](1)


class UnpoolParams(Params):
    indices: Annotated[str, Ref(output="indices", source_input=True)]
    """The maxpool node (with return_indices) whose indices to use; its input gives the
    output size, so odd sizes and ceil_mode round-trip exactly."""
    kernel: Sizes = 2
    """The pool's kernel."""
    stride: Optional[Sizes] = None
    """The pool's stride; defaults to the kernel."""
    padding: NonNegSizes = 0
    """The pool's padding."""


class Unpool(Block):
    """Max-unpooling (``torch.nn.functional.max_unpoolNd``, SegNet): scatters ``x`` to
    the argmax positions of a maxpool, zeros elsewhere. Inputs: x, the indices and the
    pool's input, whose size the output takes."""

    name = "unpool"
    Params = UnpoolParams
    min_rank = 1
    max_rank = 3

    def infer(self, p, x: Shape, indices: Shape, source: Shape) -> Inference:
        kernel, stride, padding = window(p, x, "unpool")
        expect(indices == x, f"indices {indices} must have the shape of the input {x}",
               f"unpool the output of node {p.indices!r}, or of a block keeping its shape")
        expect(source.rank == x.rank, f"pool input {source} and input {x} differ in rank")
        sizes = [{pool_out(s, k, st, pd, 1, ceil) for ceil in (False, True)}
                 for s, k, st, pd in zip(source.spatial, kernel, stride, padding)]
        expect(all(s in ok for s, ok in zip(x.spatial, sizes)),
               f"pooling {source} with kernel {list(kernel)}, stride {list(stride)}, padding {list(padding)} "
               f"gives spatial size {[min(ok) for ok in sizes]}, not the input's {list(x.spatial)}",
               f"use the kernel, stride and padding of the pool {p.indices!r}")
        return Inference({"out": x.with_spatial(source.spatial)},
                         geometry=Geometry.upsample(stride, kernel))

    def call(self, p):
        from segkit.ops import functional

        return functional.unpool, {}


@hookimpl
def segkit_register_blocks(register):
    for block in (MaxPool, AvgPool, AdaptiveAvgPool, AdaptiveMaxPool, GlobalAvgPool, Unpool):
        register(block)
