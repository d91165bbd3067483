"""A sigmoid-gated 1x1 convolution (Oktay et al., "Attention U-Net", MIDL 2018), and a
macro that checks its param at the caller's line, with segkit 0.1's imports."""
from __future__ import annotations

from segkit.block import Macro, ParamError, Params, expect
from segkit.shapes import Inference, Shape
from segkit.sizes import keeps_size

import segkit


class GateParams(segkit.Params):
    bias: bool = True
    """Bias of the gate's 1x1 convolution."""


class FrozenGate(segkit.Block):
    """Spatial sigmoid gate: one 1x1 conv to a single map, sigmoid, times the input."""

    name = "frozen_gate"
    Params = GateParams
    min_rank = 1
    max_rank = 3
    spatial_rule = keeps_size

    def infer(self, p, x: Shape) -> Inference:
        expect(x.channels >= 1, "needs channels")
        weights = x.channels + (1 if p.bias else 0)
        return Inference({"out": x}, params=weights, macs=x.numel())

    def build(self, p, x: Shape):
        from segkit_frozen.module import GateModule

        return GateModule(x.channels, x.rank, p.bias)


class RepeatParams(Params):
    times: int = 2
    """How many gates in a row."""


class FrozenRepeat(Macro):
    """``times`` frozen gates in a row."""

    name = "frozen_repeat"
    Params = RepeatParams

    def validate(self, p, x):
        if p.times < 1:
            raise ParamError("times", f"needs at least one gate, got {p.times}")

    def expand(self, p, n_inputs):
        nodes = {f"g{i}": {"block": "frozen_gate"} for i in range(p.times)}
        nodes["g0"]["from"] = "x"
        return {"inputs": {"x": None}, "nodes": nodes, "outputs": {"out": f"g{p.times - 1}"}}
