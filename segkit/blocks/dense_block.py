"""``dense_block``: a dense block (Huang et al., "Densely Connected Convolutional
Networks", CVPR 2017; as the building block of FC-DenseNet, Jegou et al., "The One
Hundred Layers Tiramisu: Fully Convolutional DenseNets for Semantic Segmentation",
CVPRW 2017, Sec. 3 and Fig. 2).

Layer ``i`` (``denselayer{i+1}``, torchvision's naming) sees the concatenation of the
block input and the outputs of all earlier layers (``cat{i+1}``) and adds ``growth``
feature maps. The output is the concatenation of the input and all new maps
(``keep_input: true``: DenseNet, and FC-DenseNet's down path and last block), or of
the new maps only (``keep_input: false``: FC-DenseNet's up path, where only the new
maps are upsampled "to avoid the linear growth of feature maps"). The concatenations
keep the order [input, layer 1, ..., layer n] of both official codes.

The layer is FC-DenseNet's ``densenet_layer`` (BN, ReLU, 3x3 conv, dropout 0.2), or
with ``bottleneck: true`` the DenseNet-BC ``densenet_bottleneck_layer`` (BN, ReLU, 1x1
conv to bn_size x growth, BN, ReLU, 3x3 conv) of torchvision's _DenseBlock, whose
parameter names this block reproduces. A Python macro because layer ``i`` has ``i + 1``
inputs.
"""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field

from segkit.core.block import Macro, Params
from segkit.ops.params import PosInt
from segkit.plugins.hookspecs import hookimpl


class DenseBlockParams(Params):
    layers: PosInt = 4
    """Number of layers n (FC-DenseNet103: 4, 5, 7, 10, 12, 15 (bottleneck), 12, 10, 7, 5, 4;
    DenseNet-121: 6, 12, 24, 16)."""
    growth: PosInt = 16
    """Growth rate k: feature maps each layer adds (16 in FC-DenseNet67/103, 12 in
    FC-DenseNet56, 32 in DenseNet-121)."""
    keep_input: bool = True
    """Output concat(input, new maps) (down path, DenseNet) or only the new maps (false:
    FC-DenseNet's up path)."""
    bottleneck: bool = False
    """DenseNet-BC layers (1x1 bottleneck before the 3x3 conv, no biases, torchvision)
    instead of FC-DenseNet's BN-ReLU-3x3 conv-dropout layers."""
    bn_size: PosInt = 4
    """Bottleneck width factor (bottleneck layers only): the 1x1 conv gives bn_size x growth maps."""
    dropout: Optional[Annotated[float, Field(ge=0, le=1)]] = None
    """Dropout after each layer's conv; null = the layer's default (0.2 for FC-DenseNet
    layers, 0 for bottleneck layers as in torchvision)."""
    dilation: PosInt = 1
    """Dilation of each layer's 3x3 conv (dilated DenseNets, e.g. DenseASPP's backbone)."""


class DenseBlock(Macro):
    """Dense block (DenseNet, CVPR 2017; FC-DenseNet, CVPRW 2017): n layers, each on the
    concatenation of the block input and all earlier layers' outputs, adding `growth`
    maps; output concat(input, new maps), or the new maps only (keep_input: false)."""

    name = "dense_block"
    Params = DenseBlockParams
    arity = (1, 1)

    def expand(self, p: DenseBlockParams, n_inputs: int) -> dict:
        layer: dict = {"block": "densenet_bottleneck_layer", "growth": p.growth, "bn_size": p.bn_size} \
            if p.bottleneck else {"block": "densenet_layer", "growth": p.growth}
        if p.dilation != 1:
            layer["dilation"] = p.dilation
        if p.dropout is not None:
            layer["dropout"] = p.dropout
        nodes: dict = {}
        new = []
        for i in range(p.layers):
            if new:
                nodes[f"cat{i + 1}"] = {"block": "concat", "from": ["x", *new]}
            source = f"cat{i + 1}" if new else "x"
            nodes[f"denselayer{i + 1}"] = {**layer, "from": source}
            new.append(f"denselayer{i + 1}")
        parts = ["x", *new] if p.keep_input else new
        if len(parts) > 1:
            nodes["out"] = {"block": "concat", "from": parts}
        return {"inputs": {"x": None}, "nodes": nodes, "outputs": {"out": list(nodes)[-1]}}


@hookimpl
def segkit_register_blocks(register):
    register(DenseBlock)
