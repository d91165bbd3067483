"""``enet_initial``: the initial block of ENet (Paszke, Chaurasia, Kim & Culurciello,
"ENet: A Deep Neural Network Architecture for Real-Time Semantic Segmentation", arXiv
1606.02147, 2016, Figure 2a).

A 3x3 stride-2 conv with ``out`` minus the input's channels filters (13 for RGB)
concatenated with a 2x2 max pool of the input (16 channels), then BN and PReLU over the
concatenation, as in the official Torch code (e-lab/ENet-training, encoder.lua: conv
with bias, BN epsilon 1e-3, one PReLU slope per channel). Halves the resolution; with
the 2x2 pool the input size must be even. ``pool: 3`` gives the 3x3 padded pool of
PyTorch ports (davidtvs/PyTorch-ENet), which also accepts odd sizes. A Python macro
(not a YAML block) so that an ``out`` leaving no conv filters is an error at ``out``.
Node names: ``conv``, ``pool``, ``cat``, ``bn``, ``act``.
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from segkit.core.block import Macro, ParamError, Params
from segkit.core.shape import Shape
from segkit.ops.activation import Kind
from segkit.ops.params import PosInt
from segkit.plugins.hookspecs import hookimpl


class ENetInitialParams(Params):
    out: PosInt = 16
    """Output channels: out - in_channels conv filters plus the pooled input channels."""
    pool: PosInt = 2
    """Max-pool window (stride 2, padding (pool - 1) // 2): 2 in the paper, 3 in PyTorch ports."""
    bias: bool = True
    """Conv bias (Torch original; PyTorch ports have none)."""
    act: Union[Kind, Literal["none"]] = "prelu"
    """Activation after the BN: PReLU with one slope per channel, another kind, or none."""
    eps: Annotated[float, Field(gt=0)] = 1e-3
    """BatchNorm epsilon (1e-3 in the Torch original)."""


class ENetInitial(Macro):
    """ENet initial block (arXiv 1606.02147): 3x3 stride-2 conv to out - C filters,
    concatenated with a 2x2 max pool of the input, BN, PReLU."""

    name = "enet_initial"
    Params = ENetInitialParams
    arity = (1, 1)

    def validate(self, p: ENetInitialParams, x: Shape) -> None:
        if p.out <= x.channels:
            raise ParamError("out", f"{p.out} leaves no conv filters for {x.channels} input channels "
                             "(the conv gives out - input channels, the pool the rest)",
                             f"use out > {x.channels}")

    def expand(self, p: ENetInitialParams, n_inputs: int) -> dict:
        nodes: dict = {
            "conv": {"block": "conv", "from": "x", "kernel": 3, "stride": 2, "padding": 1, "bias": p.bias,
                     "out": f"${{{p.out} - channels('x')}}"},
            "pool": {"block": "maxpool", "from": "x", "kernel": p.pool, "stride": 2, "padding": (p.pool - 1) // 2},
            "cat": {"block": "concat", "from": ["conv", "pool"]},
            "bn": {"block": "bn", "eps": p.eps},
        }
        if p.act != "none":
            nodes["act"] = {"block": "act", "kind": p.act}
        return {"inputs": {"x": None}, "nodes": nodes, "outputs": {"out": list(nodes)[-1]}}


@hookimpl
def segkit_register_blocks(register):
    register(ENetInitial)
