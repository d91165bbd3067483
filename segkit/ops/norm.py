"""Normalization layers: ``bn`` (Ioffe & Szegedy, "Batch Normalization", ICML 2015),
``gn`` (Wu & He, "Group Normalization", ECCV 2018; batch-size independent, for small
segmentation batches) and ``in`` (Ulyanov et al., "Instance Normalization", 2016).
All keep the input shape and cost no MACs; affine forms learn a scale and shift per
channel.

Their size checks are exact for a model in eval mode at batch 1, the case ``check``
states: a norm whose statistics come from the input needs more than one value per
statistic. ``bn`` uses its running statistics in eval and accepts any size (training
at batch 1 on a one-element map fails, as torch's BatchNorm does). ``gn`` needs more
than one value per group: more than one channel per group, or more than one spatial
element. ``in`` needs more than one spatial element, also when it tracks running
statistics: eval would use those, but training could not run at that size. "More than
one spatial element" couples the dims (1x7 is fine, 1x1 is not), so the size rules
state it as an ``any_dim`` clause."""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field

from segkit.core.block import Block, Params, expect
from segkit.core.shape import POINTWISE, Inference, Shape
from segkit.core.size_algebra import SpatialRule, keeps_size, more_than_one_element
from segkit.ops.conv import check_rank
from segkit.ops.params import Eps, PosInt
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.


Momentum = Optional[Annotated[float, Field(ge=0, le=1)]]


class BNParams(Params):
    eps: Eps = 1e-5
    """Added to the variance for numerical stability."""
    momentum: Momentum = 0.1
    """Running-statistics update rate; null for a cumulative average."""
    affine: bool = True
    """Learn a per-channel scale and shift."""


class BN(Block):
    """Batch normalization (``torch.nn.BatchNormNd``) over the batch and spatial dims;
    a ``C`` input (no spatial dims) uses BatchNorm1d."""

    name = "bn"
    Params = BNParams
    spatial_rule = keeps_size
    max_rank = 3

    def infer(self, p, x: Shape) -> Inference:
        expect(x.rank <= 3, f"bn needs 0 to 3 spatial dims, got input {x}")
        return Inference({"out": x}, params=2 * x.channels if p.affine else 0, geometry=POINTWISE)

    def build(self, p, x: Shape):
        import torch.nn as nn

        cls = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)[max(x.rank, 1) - 1]
        return cls(x.channels, eps=p.eps, momentum=p.momentum, affine=p.affine)


class GNParams(Params):
    groups: PosInt = 32
    """Number of channel groups; must divide the channels (1 = LayerNorm-like)."""
    eps: Eps = 1e-5
    """Added to the variance for numerical stability."""
    affine: bool = True
    """Learn a per-channel scale and shift."""


class GN(Block):
    """Group normalization (``torch.nn.GroupNorm``): statistics per sample over groups
    of channels, any spatial rank; a group needs more than one value (more than one
    channel per group, or more than one spatial element)."""

    name = "gn"
    Params = GNParams

    def infer(self, p, x: Shape) -> Inference:
        expect(x.channels % p.groups == 0, f"groups={p.groups} must divide the {x.channels} channels of input {x}",
               "choose groups dividing the channels, e.g. 32, 16 or 8")
        expect(x.channels > p.groups or x.numel() > x.channels,
               f"group norm with one channel per group needs more than one spatial element, got input {x}",
               "give a larger input, or fewer groups")
        return Inference({"out": x}, params=2 * x.channels if p.affine else 0, geometry=POINTWISE)

    def build(self, p, x: Shape):
        import torch.nn as nn

        return nn.GroupNorm(p.groups, x.channels, eps=p.eps, affine=p.affine)

    def spatial_rule(self, p, x):
        """A group of one channel needs more than one spatial element (a coupled check);
        several channels per group accept every size."""
        one_per_group = x.channels == p.groups
        return SpatialRule({"out": x}, any_dim=(more_than_one_element(x),) if one_per_group else ())


class INParams(Params):
    eps: Eps = 1e-5
    """Added to the variance for numerical stability."""
    momentum: Momentum = 0.1
    """Running-statistics update rate (with track_running_stats)."""
    affine: bool = False
    """Learn a per-channel scale and shift."""
    track_running_stats: bool = False
    """Keep running statistics and use them in eval mode."""


class InstanceNorm(Block):
    """Instance normalization (``torch.nn.InstanceNormNd``): statistics per sample and
    channel over the spatial dims, which need more than one element in total."""

    name = "in"
    Params = INParams
    min_rank = 1
    max_rank = 3

    def infer(self, p, x: Shape) -> Inference:
        check_rank(x, "in")
        expect(x.numel() > x.channels, f"instance norm needs more than one spatial element, got input {x}")
        return Inference({"out": x}, params=2 * x.channels if p.affine else 0, geometry=POINTWISE)

    def spatial_rule(self, p, x):
        return SpatialRule({"out": x}, any_dim=(more_than_one_element(x),))

    def build(self, p, x: Shape):
        import torch.nn as nn

        cls = (nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)[x.rank - 1]
        return cls(x.channels, eps=p.eps, momentum=p.momentum, affine=p.affine,
                   track_running_stats=p.track_running_stats)


@hookimpl
def segkit_register_blocks(register):
    for block in (BN, GN, InstanceNorm):
        register(block)
