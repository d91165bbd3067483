"""``jpu``: the joint pyramid upsampling module of FastFCN (Wu et al., "FastFCN:
Rethinking Dilated Convolution in the Backbone for Semantic Segmentation", arXiv
1903.11816, Sec. 3), as in the official code (wuhuikai/FastFCN, encoding/nn/customize.py).

Inputs: the backbone's last stages, finest first (``from: [enc.c3, enc.c4, enc.c5]``,
512/1024/2048 channels at strides 8/16/32 in ResNet-50). Each gets a 3x3 conv to
``width`` (512) without bias + BN + ReLU (modules ``conv3``, ``conv4``, ``conv5``); the
coarser ones are upsampled bilinearly (align_corners true, the official up_kwargs) to the
finest; they are concatenated coarsest first, as the official code (conv5, conv4, conv3:
1536 channels); four parallel depthwise-separable 3x3 convs with dilation 1/2/4/8
(official SeparableConv2d: depthwise conv + BN + pointwise conv, no biases), each
followed by BN + ReLU (``dilation1``..``dilation4``, see ``aspp_conv`` with separable: true,
mid_act: none), are concatenated (2048 channels). The official module also passes the
backbone features through; here the output is the fused map only. With ResNet-50/101
the JPU has 19,735,552 parameters. A Python macro because the number of inputs and of
dilation branches varies.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from segkit.core.block import Macro, Params
from segkit.ops.params import PosInt
from segkit.plugins.hookspecs import hookimpl


class JPUParams(Params):
    width: PosInt = 512
    """Channels of each input's 3x3 conv and of each dilation branch (512)."""
    dilations: Annotated[list[PosInt], Field(min_length=1)] = [1, 2, 4, 8]
    """Dilation rates of the parallel separable convs (1, 2, 4, 8)."""
    align_corners: bool = True
    """align_corners of the bilinear upsampling (true in the official code)."""


class JPU(Macro):
    """Joint pyramid upsampling (FastFCN, arXiv 1903.11816): 3x3 conv + BN + ReLU to 512
    on stages 3/4/5, upsample to stride 8, concat, four separable 3x3 convs with dilation
    1/2/4/8 (+ BN + ReLU), concat (2048)."""

    name = "jpu"
    Params = JPUParams
    arity = (2, None)

    def expand(self, p: JPUParams, n_inputs: int) -> dict:
        names = [f"x{k}" for k in range(n_inputs)]
        nodes: dict = {}
        feats = []
        for k, name in enumerate(names):
            conv = f"conv{k + 3}"
            nodes[conv] = {"block": "conv_bn_act", "from": name, "out": p.width, "kernel": 3}
            if k:
                nodes[f"up{k + 3}"] = {"block": "resize", "from": conv, "like": "conv3",
                                       "align_corners": p.align_corners}
                feats.append(f"up{k + 3}")
            else:
                feats.append(conv)
        nodes["concat"] = {"block": "concat", "from": feats[::-1]}
        branches = []
        for k, rate in enumerate(p.dilations, 1):
            nodes[f"dilation{k}"] = {"block": "aspp_conv", "from": "concat", "out": p.width, "kernel": 3,
                                     "dilation": rate, "separable": True, "mid_act": "none"}
            branches.append(f"dilation{k}")
        nodes["fuse"] = {"block": "concat", "from": branches}
        return {"inputs": dict.fromkeys(names), "nodes": nodes, "outputs": {"out": "fuse"}}


@hookimpl
def segkit_register_blocks(register):
    register(JPU)
