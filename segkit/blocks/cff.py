"""``cff``: the cascade feature fusion unit of ICNet (Zhao, Qi, Shen, Shi & Jia,
"ICNet for Real-Time Semantic Segmentation on High-Resolution Images", ECCV 2018,
Sec. 3.3 and Fig. 3).

Inputs ``[F1, F2]``: the low-resolution feature F1 is upsampled bilinearly to F2's size
(2x in ICNet) and refined by a 3x3 conv with dilation 2 to ``out`` channels (128) + BN;
the high-resolution feature F2 is projected by a 1x1 conv to ``out`` + BN; the two are
summed and passed through a ReLU (output ``out``). During training an auxiliary 1x1
classifier to ``num_classes`` on the upsampled F1 gives the second output ``aux``
(cascade label guidance, loss weight 0.4); networks that do not use it leave it out
(``aux: false``, or an unused output is pruned).

As in the official Caffe prototxt (hszhao/ICNet, ``conv_sub4`` / ``conv3_1_sub2_proj``
/ ``sub24_sum`` / ``sub4_out``): the convs before BN have no bias, the classifier has
one, and the upsampling aligns corners (Caffe's Interp layer). In ICNet the first CFF
fuses F1 = 256 channels (1/32) with F2 = 256 (1/16), the second F1 = 128 with F2 = 64
(1/8). Node names: ``up``, ``low_conv``/``low_bn``, ``high_conv``/``high_bn``, ``sum``,
``relu``, ``aux``.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field

from segkit.core.block import Macro, Params
from segkit.ops.params import PosInt
from segkit.plugins.hookspecs import hookimpl


class CFFParams(Params):
    out: PosInt = 128
    """Output channels of both branches (128 in ICNet)."""
    num_classes: PosInt = 19
    """Classes of the auxiliary classifier (19 for Cityscapes)."""
    aux: bool = True
    """Emit the auxiliary classifier output ``aux`` (used in training only)."""
    dilation: PosInt = 2
    """Dilation of the 3x3 conv on the upsampled low-resolution branch (2 in ICNet)."""
    mode: Literal["bilinear", "nearest"] = "bilinear"
    """Upsampling of F1 to F2's size."""
    align_corners: Optional[bool] = True
    """align_corners of the bilinear upsampling (true matches Caffe's Interp layer)."""
    eps: Annotated[float, Field(gt=0)] = 1e-5
    """BatchNorm epsilon."""


class CFF(Macro):
    """ICNet cascade feature fusion (ECCV 2018): inputs [low-res F1, high-res F2]; F1
    upsampled to F2's size, 3x3 conv dilation 2 + BN; F2 1x1 conv + BN; sum, ReLU; an
    auxiliary 1x1 classifier on the upsampled F1 as output ``aux``."""

    name = "cff"
    Params = CFFParams
    arity = (2, 2)
    input_names = ("low", "high")

    def expand(self, p: CFFParams, n_inputs: int) -> dict:
        up = {"block": "resize", "from": "low", "like": "high", "mode": p.mode}
        if p.mode == "bilinear" and p.align_corners is not None:
            up["align_corners"] = p.align_corners
        nodes = {
            "up": up,
            "low_conv": {"block": "conv", "from": "up", "out": p.out, "kernel": 3, "dilation": p.dilation,
                         "bias": False},
            "low_bn": {"block": "bn", "eps": p.eps},
            "high_conv": {"block": "conv", "from": "high", "out": p.out, "kernel": 1, "bias": False},
            "high_bn": {"block": "bn", "eps": p.eps},
            "sum": {"block": "add", "from": ["low_bn", "high_bn"]},
            "relu": {"block": "act"},
        }
        outputs = {"out": "relu"}
        if p.aux:
            nodes["aux"] = {"block": "conv", "from": "up", "out": p.num_classes, "kernel": 1}
            outputs["aux"] = "aux"
        return {"inputs": {"low": None, "high": None}, "nodes": nodes, "outputs": outputs}


@hookimpl
def segkit_register_blocks(register):
    register(CFF)
