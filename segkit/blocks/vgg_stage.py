"""``vgg_stage``: one stage of a VGG network (Simonyan & Zisserman, "Very Deep
Convolutional Networks for Large-Scale Image Recognition", ICLR 2015, Table 1): ``convs``
3x3 convolutions (stride 1, padding 1, with bias) of ``out`` channels, each followed by
a ReLU (and by BN before the ReLU in the ``_bn`` variants of torchvision, whose convs keep
their bias), then a 2x2 max pool with stride 2. VGG-16's stages are 2, 2, 3, 3, 3 convs
of 64, 128, 256, 512, 512 channels; FCN, SegNet, DeconvNet, DeepLab v1 and U-Net reuse
them. Node names: ``conv<k>``, ``bn<k>``, ``relu<k>`` (k = 1..convs, Caffe's
conv1_1 .. naming within a stage) and ``pool``. ``ceil_mode`` gives Caffe's rounding
(SegNet, FCN); ``dilation`` the atrous stage of DeepLab v1 (conv5, rate 2; padding
follows the dilation). A Python macro because the number of conv + act pairs varies.
"""
from __future__ import annotations

from segkit.core.block import Macro, Params
from segkit.ops.params import PosInt
from segkit.plugins.hookspecs import hookimpl


class VGGStageParams(Params):
    out: PosInt = 64
    """Channels of every conv (64, 128, 256, 512, 512 in VGG's five stages)."""
    convs: PosInt = 2
    """Number of 3x3 convs (VGG-16: 2, 2, 3, 3, 3; VGG-19: 2, 2, 4, 4, 4)."""
    bn: bool = False
    """BatchNorm after each conv (torchvision's vgg*_bn; the convs keep their bias)."""
    pool: bool = True
    """2x2 max pool with stride 2 at the end of the stage."""
    ceil_mode: bool = False
    """Round the pooled size up (Caffe, as in FCN and SegNet)."""
    dilation: PosInt = 1
    """Dilation of the convs (DeepLab v1's atrous conv5: 2); padding = dilation."""


class VGGStage(Macro):
    """VGG stage (Simonyan & Zisserman, ICLR 2015): `convs` x [3x3 conv (+ BN) + ReLU],
    then 2x2 max pool stride 2."""

    name = "vgg_stage"
    Params = VGGStageParams
    arity = (1, 1)

    def expand(self, p: VGGStageParams, n_inputs: int) -> dict:
        nodes: dict = {}
        top = "x"
        for k in range(1, p.convs + 1):
            nodes[f"conv{k}"] = {"block": "conv", "from": top, "out": p.out, "kernel": 3, "dilation": p.dilation}
            top = f"conv{k}"
            if p.bn:
                nodes[f"bn{k}"] = {"block": "bn", "from": top}
                top = f"bn{k}"
            nodes[f"relu{k}"] = {"block": "act", "from": top}
            top = f"relu{k}"
        if p.pool:
            nodes["pool"] = {"block": "maxpool", "from": top, "kernel": 2, "stride": 2, "ceil_mode": p.ceil_mode}
            top = "pool"
        return {"inputs": {"x": None}, "nodes": nodes, "outputs": {"out": top}}


@hookimpl
def segkit_register_blocks(register):
    register(VGGStage)
