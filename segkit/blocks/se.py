"""``se``: squeeze-and-excitation channel attention (Hu, Shen & Sun,
"Squeeze-and-Excitation Networks", CVPR 2018, Sec. 3 and Fig. 1), as used for example in
the decoder of UCNet.

Squeeze: global average pooling to C x 1 x 1. Excitation: a bottleneck of two fully
connected layers, here 1x1 convs with bias (the same parameters as the paper's FC
layers), reducing to C // ``reduction`` (16) with a ReLU and expanding back to C with a
sigmoid gate. Scale: the input times the gate, broadcast over the spatial dims. Any
spatial rank. A reduction that leaves no channels (C < reduction) is an error at check
time, located at ``reduction``. Node names: ``squeeze``, ``fc1``, ``relu``, ``fc2``, ``gate``, ``scale``.
"""
from __future__ import annotations

from typing import Literal

from segkit.core.block import Macro, ParamError, Params
from segkit.core.shape import Shape
from segkit.ops.params import PosInt
from segkit.plugins.hookspecs import hookimpl


class SEParams(Params):
    reduction: PosInt = 16
    """Reduction ratio r of the excitation bottleneck: C -> C // r -> C (16 in the paper)."""
    act: Literal["relu", "relu6", "silu", "hardswish", "prelu"] = "relu"
    """Activation inside the bottleneck (ReLU in the paper)."""
    gate: Literal["sigmoid", "hardsigmoid"] = "sigmoid"
    """Gating function (sigmoid in the paper; hard-sigmoid in MobileNetV3)."""
    bias: bool = True
    """Biases of the two 1x1 convs (the paper's FC layers have them)."""


class SE(Macro):
    """Squeeze-and-excitation (Hu et al., CVPR 2018): global average pool, 1x1 conv to
    C/r + ReLU, 1x1 conv to C + sigmoid, multiply the input channel-wise."""

    name = "se"
    Params = SEParams
    arity = (1, 1)

    def validate(self, p: SEParams, x: Shape) -> None:
        if x.channels < p.reduction:
            raise ParamError("reduction", f"{p.reduction} leaves no channels for the {x.channels} input "
                             f"channels (C // reduction = 0)", f"use a reduction of at most {x.channels}")

    def expand(self, p: SEParams, n_inputs: int) -> dict:
        mid = f"${{channels('x') // {p.reduction}}}"
        nodes = {
            "squeeze": {"block": "global_avgpool", "from": "x"},
            "fc1": {"block": "conv", "out": mid, "kernel": 1, "bias": p.bias},
            "relu": {"block": "act", "kind": p.act},
            "fc2": {"block": "conv", "out": "${channels('x')}", "kernel": 1, "bias": p.bias},
            "gate": {"block": "act", "kind": p.gate},
            "scale": {"block": "mul", "from": ["x", "gate"]},
        }
        return {"inputs": {"x": None}, "nodes": nodes, "outputs": {"out": "scale"}}


@hookimpl
def segkit_register_blocks(register):
    register(SE)
