"""Torch-free shapes and the geometry each block reports for stride / receptive field.

A ``Shape`` is one sample's tensor shape: channels plus any number of spatial dims
(batch is implicit). A ``Geometry`` says how a block moves the sampling grid, so the
inference pass can track output stride and receptive field without knowing the block.
"""
from __future__ import annotations

from dataclasses import dataclass, field
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
    """How a block maps its input grid to its output grid, per spatial dim.

    ``kernel`` is the effective extent of the window (``dilation*(k-1)+1``); ``jump`` is
    the factor by which the output's sample spacing grows (stride 2 -> 2, a 2x
    upsample -> 1/2). ``like`` copies the spacing of input number ``like`` (resize to
    another node). ``global_`` means every output sees the whole input.
    The rules: jump_out = jump_in * jump; rf_out = rf_in + (kernel - 1) * min(jump_in, jump_out).
    """

    kernel: tuple[int, ...] | None = None
    jump: tuple[Fraction, ...] | None = None
    like: int | None = None
    global_: bool = False

    @classmethod
    def window(cls, kernel, stride) -> "Geometry":
        return cls(tuple(kernel), tuple(Fraction(s) for s in stride))

    @classmethod
    def upsample(cls, factor, kernel=None) -> "Geometry":
        factor = tuple(Fraction(f) for f in factor)
        return cls(tuple(kernel) if kernel else None, tuple(1 / f for f in factor))

    @classmethod
    def resample_like(cls, index: int) -> "Geometry":
        return cls(like=index)

    @classmethod
    def whole(cls) -> "Geometry":
        return cls(global_=True)


POINTWISE = Geometry()


@dataclass
class Inference:
    """What a block's shape rule returns: named output shapes, params, MACs, geometry.

    ``macs`` counts multiply-accumulates of one sample the way
    ``torch.utils.flop_counter`` counts FLOPs (divided by two): convolutions, linear
    layers and matrix products only.
    """

    outputs: dict[str, Shape]
    params: int = 0
    macs: int = 0
    geometry: Geometry = field(default_factory=Geometry)

    @property
    def out(self) -> Shape:
        return next(iter(self.outputs.values()))
