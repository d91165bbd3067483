"""Channel and crop plumbing: ``split`` a tensor into channel groups (ShuffleNet v2
units, Ma et al., ECCV 2018), take a channel ``slice``, ``pad_channels`` with zero
channels (ENet's downsampling shortcut, Paszke et al., 2016), and center-``crop`` to
another node's size (U-Net's skip connections, Ronneberger et al., MICCAI 2015).
Stateless: the compiled graph calls ``segkit.ops.functional`` inline."""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field

from segkit.core.block import Block, NodeRef, Params, expect, per_dim
from segkit.core.shape import POINTWISE, Inference, Shape
from segkit.core.size_algebra import SpatialRule, every, keeps_size
from segkit.ops.params import NonNegInt, PosInt, Sizes
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



class SplitParams(Params):
    sizes: Optional[Annotated[list[PosInt], Field(min_length=2)]] = None
    """Channels of each part, summing to the input's channels."""
    parts: Optional[Annotated[int, Field(ge=2)]] = None
    """Number of equal parts, dividing the input's channels (instead of sizes)."""


class Split(Block):
    """Split along channels into parts named "0", "1", ... (``torch.split``)."""

    name = "split"
    Params = SplitParams
    outputs = ("0", "1")
    spatial_rule = keeps_size

    def output_names(self, p) -> tuple[str, ...]:
        n = len(p.sizes) if p.sizes is not None else p.parts or 0
        return tuple(str(i) for i in range(n))

    def infer(self, p, x: Shape) -> Inference:
        expect((p.sizes is None) != (p.parts is None), "split takes exactly one of sizes and parts")
        if p.sizes is not None:
            expect(sum(p.sizes) == x.channels, f"sizes {p.sizes} sum to {sum(p.sizes)}, not the {x.channels} "
                                               f"channels of input {x}")
            sizes = p.sizes
        else:
            expect(x.channels % p.parts == 0, f"{p.parts} parts do not divide the {x.channels} channels of input {x}",
                   "give sizes for unequal parts")
            sizes = [x.channels // p.parts] * p.parts
        return Inference({str(i): x.with_channels(c) for i, c in enumerate(sizes)}, geometry=POINTWISE)

    def call(self, p):
        from segkit.ops import functional

        if p.sizes is not None:
            return functional.split, {"sizes": p.sizes}
        return functional.chunk, {"parts": p.parts}


class SliceParams(Params):
    start: NonNegInt = 0
    """First channel."""
    stop: Optional[PosInt] = None
    """One past the last channel; null for the end."""


class Slice(Block):
    """Channels ``start`` to ``stop`` (exclusive) of the input."""

    name = "slice"
    Params = SliceParams
    spatial_rule = keeps_size

    def infer(self, p, x: Shape) -> Inference:
        stop = x.channels if p.stop is None else p.stop
        expect(p.start < stop <= x.channels, f"channel range {p.start}:{stop} is empty or exceeds the "
                                             f"{x.channels} channels of input {x}")
        return Inference({"out": x.with_channels(stop - p.start)}, geometry=POINTWISE)

    def call(self, p):
        from segkit.ops import functional

        return functional.channel_slice, {"start": p.start, "stop": p.stop}


class PadChannelsParams(Params):
    out: PosInt
    """Output channels; zero channels are appended after the input's."""


class PadChannels(Block):
    """Append zero channels up to ``out`` (ENet: the max-pooled shortcut is zero-padded
    to the main branch's channels)."""

    name = "pad_channels"
    Params = PadChannelsParams
    spatial_rule = keeps_size

    def infer(self, p, x: Shape) -> Inference:
        expect(p.out >= x.channels, f"out={p.out} is fewer than the {x.channels} channels of input {x}",
               "use slice to drop channels")
        return Inference({"out": x.with_channels(p.out)}, geometry=POINTWISE)

    def call(self, p):
        from segkit.ops import functional

        return functional.pad_channels, {"out": p.out}


class CropParams(Params):
    like: Optional[NodeRef] = None
    """A node whose spatial size to crop to."""
    size: Optional[Sizes] = None
    """Output spatial size, instead of like."""


class Crop(Block):
    """Center crop to ``like``'s spatial size, or to ``size``; channels are kept. The
    offset is (input - output) // 2 per dim."""

    name = "crop"
    Params = CropParams
    min_rank = 1

    def infer(self, p, x: Shape, like: Shape | None = None) -> Inference:
        expect((p.like is None) != (p.size is None), "crop takes exactly one of like and size")
        expect(x.rank >= 1, f"crop needs spatial dims, got input {x}")
        if like is not None:
            expect(like.rank == x.rank, f"like {p.like!r} is {like}, not of the rank of input {x}")
            spatial = like.spatial
        else:
            spatial = per_dim(p.size, x.rank, "size")
        expect(all(o <= i for o, i in zip(spatial, x.spatial)),
               f"cannot crop input {x} to the larger size {'x'.join(map(str, spatial))}",
               "crop the larger tensor to the smaller, or pad/resize instead")
        return Inference({"out": x.with_spatial(spatial)}, geometry=POINTWISE)

    def spatial_rule(self, p, x, like=None):
        out = like if like is not None else per_dim(p.size, len(x), "size")
        return SpatialRule({"out": out}, every(o <= i for o, i in zip(out, x)))

    def call(self, p):
        from segkit.ops import functional

        return functional.crop, {} if p.size is None else {"size": p.size}


@hookimpl
def segkit_register_blocks(register):
    for block in (Split, Slice, PadChannels, Crop):
        register(block)
