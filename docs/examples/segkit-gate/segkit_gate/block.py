"""A sigmoid-gated 1x1 convolution: y = x * sigmoid(conv1x1(x)), a spatial attention
gate in the spirit of Oktay et al., "Attention U-Net", MIDL 2018."""
from __future__ import annotations

from segkit.plugin import POINTWISE, Block, Inference, Params, Shape, keeps_size


class GateParams(Params):
    bias: bool = True
    """Bias of the gate's 1x1 convolution."""


class Gate(Block):
    """Spatial sigmoid gate: one 1x1 conv to a single map, sigmoid, times the input."""

    name = "gate"
    Params = GateParams
    min_rank = 1
    max_rank = 3
    spatial_rule = keeps_size  # output sizes = input sizes, any size accepted

    def infer(self, p, x: Shape) -> Inference:
        weights = x.channels + (1 if p.bias else 0)
        pixels = x.numel() // x.channels
        # each output pixel reads only its own input pixel: receptive field and stride unchanged
        return Inference({"out": x}, params=weights, macs=x.channels * pixels, geometry=POINTWISE)

    def build(self, p, x: Shape):
        from segkit_gate.module import GateModule

        return GateModule(x.channels, x.rank, p.bias)
