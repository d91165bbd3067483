"""``resize``: parameter-free interpolation (``torch.nn.functional.interpolate``) by a
scale factor, to a fixed size, or to the size of another node, the bilinear upsampling
of decoder heads (Long et al., "FCN", CVPR 2015; Chen et al., "DeepLab v3+", ECCV 2018).
Spatial rank 1 to 3; ``mode: auto`` picks linear, bilinear or trilinear by rank."""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from segkit.core.block import Block, NodeRef, Params, expect, per_dim
from segkit.core.shape import Geometry, Inference, Shape
from segkit.core.size_algebra import SpatialRule, every
from segkit.ops.conv import check_rank
from segkit.ops.params import Sizes
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.


PosFloat = Annotated[float, Field(gt=0)]
MODE_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
"""The spatial rank each interpolating mode works on; nearest works on any."""


class ResizeParams(Params):
    scale: Optional[Union[PosFloat, list[PosFloat]]] = None
    """Scale factor, one or one per dim; output = floor(input * scale) as in PyTorch."""
    size: Optional[Sizes] = None
    """Output spatial size, one int or one per dim."""
    like: Optional[NodeRef] = None
    """A node whose spatial size the output takes (e.g. the image, or a skip feature)."""
    mode: Literal["auto", "nearest", "linear", "bilinear", "bicubic", "trilinear"] = "auto"
    """Interpolation; "auto" is linear, bilinear or trilinear for 1, 2 or 3 spatial dims."""
    align_corners: Optional[bool] = None
    """Align the corner pixels of input and output; only for the interpolating modes
    (unset means false)."""


def resolve_mode(mode: str, rank: int) -> str:
    """The torch mode for ``mode`` on inputs with ``rank`` spatial dims."""
    return ("linear", "bilinear", "trilinear")[rank - 1] if mode == "auto" else mode


class Resize(Block):
    """Resize by ``scale``, to ``size``, or ``like`` another node (exactly one)."""

    name = "resize"
    Params = ResizeParams
    min_rank = 1
    max_rank = 3

    def infer(self, p, x: Shape, like: Shape | None = None) -> Inference:
        check_rank(x, "resize")
        given = [f for f in ("scale", "size", "like") if getattr(p, f) is not None]
        expect(len(given) == 1, f"resize takes exactly one of scale, size and like, got {given or 'none'}")
        mode = resolve_mode(p.mode, x.rank)
        expect(MODE_RANK.get(mode, x.rank) == x.rank,
               f"mode {mode} works on {MODE_RANK.get(mode)} spatial dims, but input {x} has {x.rank}",
               "use mode: auto, or nearest")
        expect(p.align_corners is None or mode in MODE_RANK, f"align_corners does not apply to mode {mode}",
               "drop align_corners, or use an interpolating mode")
        if p.scale is not None:
            scale = per_dim(p.scale, x.rank, "scale")
            spatial = tuple(math.floor(s * f) for s, f in zip(x.spatial, scale))
            expect(all(s >= 1 for s in spatial), f"scale {p.scale} leaves no output for input {x} (output {spatial})")
            geometry = Geometry.upsample([Fraction(str(f)) for f in scale])
        elif p.size is not None:
            spatial = per_dim(p.size, x.rank, "size")
            geometry = Geometry.upsample([Fraction(o, i) for o, i in zip(spatial, x.spatial)])
        else:
            expect(like.rank == x.rank, f"like {p.like!r} is {like}, not of the rank of input {x}")
            spatial, geometry = like.spatial, Geometry.resample_like(1)
        return Inference({"out": x.with_spatial(spatial)}, geometry=geometry)

    def spatial_rule(self, p, x, like=None):
        if p.scale is not None:  # floor(s * f) exactly: a double f is n / d with d a power of two
            out = tuple(s * n // d for s, (n, d) in zip(x, (float(f).as_integer_ratio()
                                                            for f in per_dim(p.scale, len(x), "scale"))))
            return SpatialRule({"out": out}, every(s >= 1 for s in out))
        return SpatialRule({"out": per_dim(p.size, len(x), "size") if p.size is not None else like})

    def call(self, p):
        from segkit.ops import functional

        kwargs = {"mode": p.mode}
        if p.align_corners is not None:
            kwargs["align_corners"] = p.align_corners
        if p.scale is not None:
            kwargs["scale"] = p.scale
        if p.size is not None:
            kwargs["size"] = p.size
        return functional.resize, kwargs


@hookimpl
def segkit_register_blocks(register):
    register(Resize)
