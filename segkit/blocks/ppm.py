"""``ppm``: the pyramid pooling module of PSPNet (Zhao et al., "Pyramid Scene Parsing
Network", CVPR 2017, Sec. 3.2), with ICNet's summing variant (Zhao et al., "ICNet for
Real-Time Semantic Segmentation on High-Resolution Images", ECCV 2018); and
``ppm_pool``, its pooling step.

For each bin size b (1/2/3/6): adaptive average (or max) pooling to b x b, a 1x1 conv to
``reduction`` channels (C / number of bins: 512 for 2048 inputs) without bias + BN +
ReLU, and bilinear upsampling back to the input size (align_corners true, as the
official Caffe interp layer and the authors' PyTorch code, hszhao/semseg). ``fusion:
concat`` concatenates the input and the upsampled maps (PSPNet: 2048 + 4 x 512 = 4096
channels; input first, then the bins in the order given; the Caffe prototxt orders them
6/3/2/1). ``fusion: sum`` adds them to the input instead, ICNet's variant, which pools
and upsamples without convs (``convs`` defaults to false there; with convs the branches
keep the input width). The 3x3 conv, dropout and classifier that follow in PSPNet are
left to the spec. Module names: ``pool<k>``, ``conv<k>`` (a conv_bn_act), ``up<k>``,
``concat`` or ``sum``.

Adaptive pooling to a bin larger than the feature map is allowed by PyTorch (it repeats
pixels) but never meant: ``ppm_pool`` makes it an error naming the bin and the feature
size, at check time. A Python macro because the number of branches follows ``bins``.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, ValidationInfo, field_validator

from segkit.core.block import Block, Macro, ParamError, Params, per_dim
from segkit.core.shape import Geometry, Inference, Shape
from segkit.core.size_algebra import SpatialRule, every
from segkit.errors import ShapeError
from segkit.ops.conv import check_rank
from segkit.ops.params import PosInt, Sizes
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



class PPMPoolParams(Params):
    size: Sizes
    """The bin: output size of the adaptive pooling, one int or one per spatial dim; at
    most the input's size."""
    pooling: Literal["avg", "max"] = "avg"
    """Average (PSPNet) or max pooling."""


class PPMPool(Block):
    """Adaptive average or max pooling to a pyramid bin (PSPNet, CVPR 2017), refusing
    bins larger than the feature map, which adaptive pooling would fill by repeating
    pixels."""

    name = "ppm_pool"
    Params = PPMPoolParams
    min_rank = 1
    max_rank = 3

    def infer(self, p: PPMPoolParams, x: Shape) -> Inference:
        check_rank(x, self.name)
        size = per_dim(p.size, x.rank, "size")
        if any(b > s for b, s in zip(size, x.spatial)):
            bins = "x".join(map(str, size))
            feature = "x".join(map(str, x.spatial))
            raise ShapeError(f"pyramid bin {bins} is larger than the {feature} feature map (input {x})",
                             hint="use bins no larger than the feature map, or a larger input")
        return Inference({"out": x.with_spatial(size)}, geometry=Geometry.whole())

    def spatial_rule(self, p: PPMPoolParams, x):
        size = per_dim(p.size, len(x), "size")
        return SpatialRule({"out": size}, every(s >= b for b, s in zip(size, x)))

    def build(self, p: PPMPoolParams, x: Shape):
        import torch.nn as nn

        kind = "Avg" if p.pooling == "avg" else "Max"
        return getattr(nn, f"Adaptive{kind}Pool{x.rank}d")(per_dim(p.size, x.rank, "size"))


class PPMParams(Params):
    bins: Annotated[list[PosInt], Field(min_length=1)] = [1, 2, 3, 6]
    """Pyramid bin sizes (1, 2, 3, 6 in PSPNet and ICNet)."""
    pooling: Literal["avg", "max"] = "avg"
    """Pooling of each bin (average in the paper)."""
    fusion: Literal["concat", "sum"] = "concat"
    """concat: input and upsampled maps concatenated (PSPNet); sum: added (ICNet)."""
    convs: Optional[bool] = None
    """A 1x1 conv + BN + ReLU per bin (null = true for concat, false for sum as in ICNet)."""
    reduction: Optional[PosInt] = None
    """Channels of each bin's conv with concat fusion (null = input channels // number
    of bins, 512 for 2048 inputs); sum fusion keeps the input width."""
    align_corners: bool = True
    """align_corners of the bilinear upsampling (true in the official Caffe and PyTorch code)."""

    @field_validator("reduction")
    @classmethod
    def _concat_only(cls, reduction, info: ValidationInfo):
        if reduction is not None and info.data.get("fusion") == "sum":
            raise ValueError("fusion: sum adds the bins to the input, so their convs keep the input width; "
                             "leave reduction unset")
        return reduction


def uses_convs(p: PPMParams) -> bool:
    """Whether each bin has its 1x1 conv + BN + ReLU (by default only with concat)."""
    return p.convs if p.convs is not None else p.fusion == "concat"


class PPM(Macro):
    """Pyramid pooling module (PSPNet, CVPR 2017): per bin (1/2/3/6) adaptive pooling,
    1x1 conv to C/4 + BN + ReLU, bilinear upsampling; concatenated with the input, or
    summed with it (ICNet, without convs)."""

    name = "ppm"
    Params = PPMParams
    arity = (1, 1)

    def validate(self, p: PPMParams, x: Shape) -> None:
        if p.fusion == "concat" and p.reduction is None and uses_convs(p) and x.channels < len(p.bins):
            raise ParamError("bins", f"{len(p.bins)} bins leave the {x.channels} input channels no channels per "
                             f"bin (reduction: null = channels // bins)", "give reduction, or fewer bins")

    def expand(self, p: PPMParams, n_inputs: int) -> dict:
        convs = uses_convs(p)
        if p.fusion == "sum":
            width = "${channels('x')}"
        else:
            width = p.reduction or f"${{channels('x') // {len(p.bins)}}}"
        nodes: dict = {}
        terms = ["x"]
        for k, size in enumerate(p.bins):
            nodes[f"pool{k}"] = {"block": "ppm_pool", "from": "x", "size": size, "pooling": p.pooling}
            top = f"pool{k}"
            if convs:
                nodes[f"conv{k}"] = {"block": "conv_bn_act", "from": top, "out": width, "kernel": 1}
                top = f"conv{k}"
            nodes[f"up{k}"] = {"block": "resize", "from": top, "like": "x", "align_corners": p.align_corners}
            terms.append(f"up{k}")
        fuse = "concat" if p.fusion == "concat" else "sum"
        nodes[fuse] = {"block": "concat" if fuse == "concat" else "add", "from": terms}
        return {"inputs": {"x": None}, "nodes": nodes, "outputs": {"out": fuse}}


@hookimpl
def segkit_register_blocks(register):
    register(PPMPool)
    register(PPM)
