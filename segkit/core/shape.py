"""Torch-free shapes and the geometry each block reports for stride / receptive field.

A ``Shape`` is one sample's tensor shape: channels plus any number of spatial dims
(batch is implicit). A ``Geometry`` says how a block moves the sampling grid, so the
inference pass can track output stride and receptive field without knowing the block.
A block that declares none (``Inference.geometry`` left None) gets its stride derived
from its sizes and an unknown receptive field (shown as ``?``), never a guessed one.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Shape:
    """Channels and spatial sizes of one sample (e.g. ``64x128x128``)."""

    channels: int
    spatial: tuple[int, ...] = ()

    @property
    def rank(self) -> int:
        return len(self.spatial)

    def with_channels(self, channels: int) -> "Shape":
        return Shape(channels, self.spatial)

    def with_spatial(self, spatial) -> "Shape":
        return Shape(self.channels, tuple(spatial))

    def numel(self) -> int:
        n = self.channels
        for s in self.spatial:
            n *= s
        return n

    def as_tuple(self) -> tuple[int, ...]:
        return (self.channels, *self.spatial)

    def __str__(self) -> str:
        return "x".join(str(d) for d in self.as_tuple())

    @classmethod
    def parse(cls, text: str) -> "Shape":
        """``"3x512x512"`` -> Shape(3, (512, 512)); raises ValueError on bad text."""
        parts = [p.strip() for p in str(text).lower().replace("×", "x").split("x")]
        if len(parts) < 1 or not all(p.isdigit() for p in parts):
            raise ValueError(f"expected CxHxW with positive integers, got {text!r}")
        dims = [int(p) for p in parts]
        if any(d < 1 for d in dims):
            raise ValueError(f"sizes must be positive, got {text!r}")
        return cls(dims[0], tuple(dims[1:]))


@dataclass(frozen=True)
class Geometry:
    """How a block maps its (first) input's grid to its output grid, per spatial dim.

    ``kernel`` is the effective extent of the window (``dilation*(k-1)+1``); ``jump`` is
    the factor by which the output's sample spacing grows (stride 2 -> 2, a 2x
    upsample -> 1/2). ``like`` copies the spacing of input number ``like`` (resize to
    another node). ``global_`` means every output sees the whole input.
    The rules: jump_out = jump_in * jump; rf_out = rf_in + (kernel - 1) * min(jump_in, jump_out).

    Build one with the constructors: ``POINTWISE`` (each output pixel sees its own input
    pixel: activations, 1x1 convs, norms, channel ops), ``Geometry.window(kernel,
    stride)`` (a conv or pool window), ``Geometry.upsample(factor, kernel)``,
    ``Geometry.resample_like(i)`` and ``Geometry.whole()`` (global context: attention
    over the whole map, global pooling). ``segkit.testing.block_test`` measures the
    receptive field and stride in PyTorch and fails when the declared ones differ.
    """

    kernel: tuple[int, ...] | None = None
    jump: tuple[Fraction, ...] | None = None
    like: int | None = None
    global_: bool = False

    @classmethod
    def window(cls, kernel, stride) -> "Geometry":
        """A window of ``kernel`` (effective extent) per dim, moved by ``stride``."""
        return cls(tuple(kernel), tuple(Fraction(s) for s in stride))

    @classmethod
    def upsample(cls, factor, kernel=None) -> "Geometry":
        """Output spacing ``1/factor`` per dim; ``kernel``: the input extent one output
        pixel reads (a transposed conv's), None for nearest-neighbour copies."""
        factor = tuple(Fraction(f) for f in factor)
        return cls(tuple(kernel) if kernel else None, tuple(1 / f for f in factor))

    @classmethod
    def resample_like(cls, index: int) -> "Geometry":
        """Output on the grid of input number ``index`` (resize to another node)."""
        return cls(like=index)

    @classmethod
    def whole(cls) -> "Geometry":
        """Every output pixel sees the whole input (global receptive field)."""
        return cls(global_=True)


POINTWISE = Geometry()
"""The geometry of a block whose output pixel sees only its own input pixel."""


@dataclass
class Inference:
    """What a block's shape rule returns: named output shapes, params, MACs, geometry.

    ``macs`` counts multiply-accumulates of one sample the way
    ``torch.utils.flop_counter`` counts FLOPs (divided by two): convolutions, linear
    layers and matrix products only. ``geometry`` None (the default) means undeclared:
    the report derives the stride from the sizes and shows the receptive field as
    unknown; declare it (``geometry=POINTWISE``, ``Geometry.window(...)``) to have it.
    """

    outputs: dict[str, Shape]
    params: int = 0
    macs: int = 0
    geometry: Geometry | None = None

    @property
    def out(self) -> Shape:
        return next(iter(self.outputs.values()))
