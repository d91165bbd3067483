"""``dense_aspp``: densely connected atrous spatial pyramid pooling (Yang et al.,
"DenseASPP for Semantic Segmentation in Street Scenes", CVPR 2018, Sec. 3), as in the
official code (DeepMotionAIResearch/DenseASPP, models/DenseASPP.py).

A chain of ``dense_aspp_layer`` with dilation rates 3/6/12/18/24: each layer sees the
concatenation of the input and all earlier layers' outputs and adds ``growth`` channels:
(BN +) ReLU + 1x1 conv to ``mid``, BN + ReLU + 3x3 dilated conv to ``growth``, channel
dropout 0.1. The first layer has no leading BN in the official code (the DenseNet
features end with norm5; ``first_norm``). Output: the concatenation of all layers'
outputs and the input, newest first as the official torch.cat((aspp24, feature)),
input + 5 x growth channels. Widths: mid 128 / growth 64 for DenseNet-121 (on 512
input channels: 785,856 parameters, 832 out), 512 / 128 for DenseNet-161 (on 1104:
6,450,432, 1744 out). Module names ``layer0``..``layer4`` (``.norm1``, ``.conv1``,
``.norm2``, ``.conv2``). A Python macro so that the rate list is validated where it
is written.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from segkit.core.block import Macro, Params
from segkit.ops.params import PosInt
from segkit.plugins.hookspecs import hookimpl


class DenseASPPParams(Params):
    rates: Annotated[list[PosInt], Field(min_length=1)] = [3, 6, 12, 18, 24]
    """Dilation rates of the layers, in order (3, 6, 12, 18, 24)."""
    mid: PosInt = 128
    """Width of each layer's 1x1 conv (d_feature0: 128 for DenseNet-121, 512 for -161)."""
    growth: PosInt = 64
    """Channels each layer adds (d_feature1: 64 for DenseNet-121, 128 for -161)."""
    dropout: Annotated[float, Field(ge=0, lt=1)] = 0.1
    """Channel dropout on each layer's output, 0 = none (dropout0 = 0.1)."""
    first_norm: bool = False
    """A BN before the first layer's ReLU (none in the official code, bn_start=False)."""
    bn_momentum: Annotated[float, Field(gt=0, le=1)] = 0.1
    """BN momentum (PyTorch's default; the official code sets 0.0003)."""


class DenseASPP(Macro):
    """DenseASPP (CVPR 2018): densely connected atrous layers with rates 3/6/12/18/24,
    each BN-ReLU-1x1 conv (128) - BN-ReLU-3x3 dilated conv (64) on the concat of the
    input and all earlier outputs; output = that concat."""

    name = "dense_aspp"
    Params = DenseASPPParams
    arity = (1, 1)

    def expand(self, p: DenseASPPParams, n_inputs: int) -> dict:
        nodes: dict = {}
        top = "x"
        for k, rate in enumerate(p.rates):
            nodes[f"layer{k}"] = {"block": "dense_aspp_layer", "from": top, "mid": p.mid, "growth": p.growth,
                                  "dilation": rate, "dropout": p.dropout, "norm_first": bool(k or p.first_norm),
                                  "bn_momentum": p.bn_momentum}
            top = f"layer{k}"
        return {"inputs": {"x": None}, "nodes": nodes, "outputs": {"out": top}}


@hookimpl
def segkit_register_blocks(register):
    register(DenseASPP)
