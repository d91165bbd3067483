"""``crp``: chained residual pooling of RefineNet (Lin et al., "RefineNet: Multi-Path
Refinement Networks for High-Resolution Semantic Segmentation", CVPR 2017, Sec. 3.2).

A ReLU, then a chain of ``stages`` pooling blocks, each a 5x5 max pool with stride 1
and a 3x3 conv (no bias); every block takes the previous block's output, and the
ReLU'd input plus all block outputs are summed. The paper's figure and the popular
PyTorch port (DrSleep/refinenet-pytorch) pool before the conv and use 4 stages; the
official MatConvNet code's "improved version" convolves before pooling
(``order: conv_pool``) and its configs use 2 or 4 stages. Channels are kept.
A Python macro because the number of summed terms depends on ``stages``.
"""
from __future__ import annotations

from typing import Literal

from pydantic import ValidationInfo, field_validator

from segkit.core.block import Macro, Params
from segkit.ops.params import PosInt
from segkit.plugins.hookspecs import hookimpl


class CRPParams(Params):
    stages: PosInt = 4
    """Number of pool + conv blocks in the chain (4 in PyTorch ports, 2 or 4 in the
    official code)."""
    order: Literal["pool_conv", "conv_pool"] = "pool_conv"
    """Pool then conv (paper, PyTorch ports) or conv then pool (official code)."""
    pool: PosInt = 5
    """Max-pool window (stride 1, padding pool // 2 keep the size)."""
    kernel: PosInt = 3
    """Conv kernel size."""
    bias: bool = False
    """Conv bias (none in the official code)."""
    relu: bool = True
    """Leading ReLU on the input (the summed identity term is the ReLU'd input)."""

    @field_validator("pool", "kernel")
    @classmethod
    def _odd(cls, size, info: ValidationInfo):
        if size % 2 == 0:
            raise ValueError(f"must be odd: the chain sums every stage with its input, so the "
                             f"{info.field_name} window must keep the size")
        return size


class CRP(Macro):
    """Chained residual pooling (RefineNet, CVPR 2017): ReLU, then ``stages`` x [5x5
    max pool stride 1 + 3x3 conv] chained, all outputs summed into the identity."""

    name = "crp"
    Params = CRPParams
    arity = (1, 1)

    def expand(self, p: CRPParams, n_inputs: int) -> dict:
        nodes: dict = {}
        top = "x"
        if p.relu:
            nodes["relu"] = {"block": "act", "from": "x"}
            top = "relu"
        terms = [top]
        for k in range(1, p.stages + 1):
            pool = {"block": "maxpool", "kernel": p.pool, "stride": 1, "padding": p.pool // 2}
            conv = {"block": "conv", "out": "${channels('x')}", "kernel": p.kernel, "bias": p.bias}
            steps = [("pool", pool), ("conv", conv)] if p.order == "pool_conv" else [("conv", conv), ("pool", pool)]
            for kind, node in steps:
                nodes[f"{kind}{k}"] = {**node, "from": top}
                top = f"{kind}{k}"
            terms.append(top)
        nodes["sum"] = {"block": "add", "from": terms}
        return {"inputs": {"x": None}, "nodes": nodes, "outputs": {"out": "sum"}}


@hookimpl
def segkit_register_blocks(register):
    register(CRP)
