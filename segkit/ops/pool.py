"""Pooling: ``maxpool`` (optionally returning argmax indices), ``avgpool``, the adaptive
pools and ``global_avgpool`` (global context as in Zhao et al., "PSPNet", CVPR 2017 and
Chen et al., "DeepLab v3", 2017), and ``unpool``, the max-unpooling that reuses the
encoder's pooling indices (Badrinarayanan et al., "SegNet", TPAMI 2017). Spatial rank
1 to 3, as in PyTorch."""
from __future__ import annotations

from typing import Annotated, ClassVar, Optional

from segkit.core.block import Block, Params, Ref, expect, per_dim
from segkit.core.shape import Geometry, Inference, Shape
from segkit.core.size_algebra import SpatialRule, equal, every, select, some
from segkit.ops.conv import check_rank
from segkit.ops.params import NonNegSizes, Sizes
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



def pool_out(size, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool):
    """PyTorch's pooling output size along one dim (an int, or a symbolic ``Dim``): with
    ``ceil_mode`` the last window must still start inside the input or its left padding."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if not ceil_mode:
        return out
    return select((out - 1) * stride >= size + pad, out - 1, out)


def window(p, rank: int):
    """Kernel, stride and padding per dim, checked as PyTorch checks them."""
    kernel = per_dim(p.kernel, rank, "kernel")
    stride = per_dim(p.stride if p.stride is not None else p.kernel, rank, "stride")
    padding = per_dim(p.padding, rank, "padding")
    expect(all(pd <= k // 2 for pd, k in zip(padding, kernel)),
           f"padding {list(padding)} must be at most half the kernel {list(kernel)} (a PyTorch limit)")
    return kernel, stride, padding


def pool_sizes(x: tuple, kernel, stride, padding, dilation, ceil_mode: bool) -> tuple:
    """Output sizes of a pooling window on input sizes ``x`` (ints or Dims)."""
    return tuple(pool_out(*args, ceil_mode) for args in zip(x, kernel, stride, padding, dilation))


def pooled(x: Shape, kernel, stride, padding, dilation, ceil_mode: bool) -> Shape:
    spatial = pool_sizes(x.spatial, kernel, stride, padding, dilation, ceil_mode)
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
        check_rank(x, "maxpool")
        kernel, stride, padding = window(p, x.rank)
        dilation = per_dim(p.dilation, x.rank, "dilation")
        out = pooled(x, kernel, stride, padding, dilation, p.ceil_mode)
        return Inference(dict.fromkeys(self.output_names(p), out),
                         geometry=Geometry.window([d * (k - 1) + 1 for k, d in zip(kernel, dilation)], stride))

    def spatial_rule(self, p, x):
        kernel, stride, padding = window(p, len(x))
        out = pool_sizes(x, kernel, stride, padding, per_dim(p.dilation, len(x), "dilation"), p.ceil_mode)
        return SpatialRule(dict.fromkeys(self.output_names(p), out), every(s >= 1 for s in out))

    def build(self, p, x: Shape):
        import torch.nn as nn

        cls = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[x.rank - 1]
        kernel, stride, padding = window(p, x.rank)
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
        check_rank(x, "avgpool")
        kernel, stride, padding = window(p, x.rank)
        expect(x.rank < 3 or all(s >= k for s, k in zip(x.spatial, kernel)),
               f"3-d average pooling needs the unpadded input {x} to be at least the kernel {list(kernel)} "
               "(a PyTorch limit)")
        out = pooled(x, kernel, stride, padding, (1,) * x.rank, p.ceil_mode)
        return Inference({"out": out}, geometry=Geometry.window(kernel, stride))

    def spatial_rule(self, p, x):
        kernel, stride, padding = window(p, len(x))
        out = pool_sizes(x, kernel, stride, padding, (1,) * len(x), p.ceil_mode)
        whole = True if len(x) < 3 else every(s >= k for s, k in zip(x, kernel))
        return SpatialRule({"out": out}, every([whole, *(s >= 1 for s in out)]))

    def build(self, p, x: Shape):
        import torch.nn as nn

        cls = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)[x.rank - 1]
        kernel, stride, padding = window(p, x.rank)
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

    def spatial_rule(self, p, x):
        return SpatialRule({"out": per_dim(p.size, len(x), "size")})

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

    def spatial_rule(self, p, x):
        return SpatialRule({"out": (1,) * len(x)})

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
        check_rank(x, "unpool")
        kernel, stride, padding = window(p, x.rank)
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

    def spatial_rule(self, p, x, indices, source):
        kernel, stride, padding = window(p, len(x))
        pooled_back = every(some(equal(s, pool_out(n, k, st, pd, 1, ceil)) for ceil in (False, True))
                            for s, n, k, st, pd in zip(x, source, kernel, stride, padding))
        return SpatialRule({"out": source}, every([pooled_back, *(equal(i, s) for i, s in zip(indices, x))]))

    def call(self, p):
        from segkit.ops import functional

        return functional.unpool, {}


@hookimpl
def segkit_register_blocks(register):
    for block in (MaxPool, AvgPool, AdaptiveAvgPool, AdaptiveMaxPool, GlobalAvgPool, Unpool):
        register(block)
