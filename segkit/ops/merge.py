"""Merging several inputs: ``concat`` along channels (U-Net's skip connections,
Ronneberger et al., MICCAI 2015), ``add`` (residual and FPN-style fusion, He et al.,
CVPR 2016; Lin et al., CVPR 2017) and ``mul`` (gating, e.g. a ``Cx1x1`` attention vector
times a feature map, Hu et al., "Squeeze-and-Excitation", CVPR 2018). Stateless: the
compiled graph calls ``segkit.ops.functional`` inline."""
from __future__ import annotations

from segkit.core.block import Block, mismatch
from segkit.core.shape import POINTWISE, Inference, Shape
from segkit.core.size_algebra import SpatialRule, equal, equal_sizes, every, select, some
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



def same_rank(shapes: tuple[Shape, ...]) -> None:
    for i, s in enumerate(shapes):
        if s.rank != shapes[0].rank:
            raise mismatch(0, i, "inputs have different numbers of spatial dims")


def broadcast(shapes: tuple[Shape, ...]) -> Shape:
    """The shape of an elementwise op on ``shapes``: per dim, sizes must be equal or 1."""
    same_rank(shapes)
    dims = [max(d) for d in zip(*(s.as_tuple() for s in shapes))]
    for i, s in enumerate(shapes):
        for axis, (d, n) in enumerate(zip(s.as_tuple(), dims)):
            if d not in (1, n):
                j = next(k for k, t in enumerate(shapes) if t.as_tuple()[axis] == n)
                what = "channels differ" if axis == 0 else "spatial sizes differ"
                raise mismatch(min(i, j), max(i, j), what,
                               "sizes must be equal, or 1 in one of them to broadcast; resize or project one input")
    return Shape(dims[0], tuple(dims[1:]))


def broadcast_sizes(xs) -> SpatialRule:
    """``broadcast``'s spatial part on symbolic sizes: per dim, the largest size, which
    every input must equal unless it is 1."""
    out, checks = [], []
    for sizes in zip(*xs):
        if all(s == sizes[0] for s in sizes[1:]):  # equal sizes (a residual sum): nothing to check
            out.append(sizes[0])
            continue
        largest = sizes[0]
        for s in sizes[1:]:
            largest = select(s >= largest, s, largest)
        out.append(largest)
        checks.extend(some([equal(s, largest), equal(s, 1)]) for s in sizes)
    return SpatialRule({"out": tuple(out)}, every(checks))


class Concat(Block):
    """Concatenate two or more inputs along channels; spatial sizes must match."""

    name = "concat"
    arity = (2, None)
    spatial_rule = equal_sizes

    def infer(self, p, *xs: Shape) -> Inference:
        same_rank(xs)
        for i, x in enumerate(xs):
            if x.spatial != xs[0].spatial:
                raise mismatch(0, i, "spatial sizes differ",
                               "resize one input (resize with like:) or crop it (crop with like:)")
        return Inference({"out": xs[0].with_channels(sum(x.channels for x in xs))}, geometry=POINTWISE)

    def call(self, p):
        from segkit.ops import functional

        return functional.concat, {}


class Add(Block):
    """Elementwise sum of two or more inputs of equal or broadcastable shapes."""

    name = "add"
    arity = (2, None)

    def infer(self, p, *xs: Shape) -> Inference:
        return Inference({"out": broadcast(xs)}, geometry=POINTWISE)

    def spatial_rule(self, p, *xs):
        return broadcast_sizes(xs)

    def call(self, p):
        from segkit.ops import functional

        return functional.add, {}


class Mul(Block):
    """Elementwise product of two or more inputs of equal or broadcastable shapes."""

    name = "mul"
    arity = (2, None)

    def infer(self, p, *xs: Shape) -> Inference:
        return Inference({"out": broadcast(xs)}, geometry=POINTWISE)

    def spatial_rule(self, p, *xs):
        return broadcast_sizes(xs)

    def call(self, p):
        from segkit.ops import functional

        return functional.mul, {}


@hookimpl
def segkit_register_blocks(register):
    for block in (Concat, Add, Mul):
        register(block)
