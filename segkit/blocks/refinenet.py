"""``refinenet``: the generalized RefineNet block (Lin et al., "RefineNet: Multi-Path
Refinement Networks for High-Resolution Semantic Segmentation", CVPR 2017, Sec. 3.2).

For any number of input paths (finest first):

1. adaptation of each backbone path: a 3x3 conv without bias to ``features`` channels
   (the official code's dimension reduction, ``p_ims1d2_outl*_dimred``: 512 for
   RefineNet-4, 256 for the others) and ``adapt_rcus`` residual conv units (2);
2. multi-resolution fusion (``mrf``): a 3x3 conv per path to the smallest width,
   bilinear upsampling to the finest path, sum; skipped for a single path;
3. chained residual pooling (``crp``, ``crp_stages`` pool + conv blocks);
4. output convolutions: ``out_rcus`` RCUs (1 in the paper, 3 in the official code).

``adapt`` chooses which inputs are adapted: in the official code (and in its PyTorch
port, DrSleep/refinenet-pytorch) the output of the previous RefineNet block enters the
next one directly at the fusion step (``from: [enc.c4, rf4], adapt: [true, false]``);
unset, every path is adapted as drawn in the paper's Fig. 3. Module names:
``dimred<k>``, ``adapt<k>.<j>``, ``mrf.conv<k>``, ``crp.conv<s>``, ``output.<j>``.
A Python macro because the number of input paths varies.
"""
from __future__ import annotations

from typing import Literal, Optional

from segkit.core.block import Macro, ParamError, Params
from segkit.core.shape import Shape
from segkit.ops.params import NonNegInt, PosInt
from segkit.plugins.hookspecs import hookimpl


class RefineNetParams(Params):
    features: PosInt = 256
    """Width the adapted paths are reduced to (512 for RefineNet-4, 256 otherwise)."""
    adapt: Optional[list[bool]] = None
    """Per input: adapt it (dimension reduction + RCUs) or feed it to the fusion as is;
    unset = adapt every input."""
    dimred: bool = True
    """3x3 conv (no bias) to ``features`` before the adaptive RCUs (official code)."""
    adapt_rcus: NonNegInt = 2
    """RCUs per adapted path ("adaptive convolution")."""
    crp_stages: PosInt = 4
    """Pool + conv blocks of the chained residual pooling."""
    crp_order: Literal["pool_conv", "conv_pool"] = "pool_conv"
    """CRP block order (see ``crp``)."""
    out_rcus: NonNegInt = 1
    """RCUs after the CRP (1 in the paper, 3 in the official code)."""
    align_corners: Optional[bool] = None
    """align_corners of the fusion upsampling (unset = false)."""


class RefineNet(Macro):
    """Generalized RefineNet block (CVPR 2017) over 1..N paths, finest first: per-path
    3x3 dimension reduction + 2 RCUs, multi-resolution fusion, chained residual
    pooling, output RCU(s)."""

    name = "refinenet"
    Params = RefineNetParams
    arity = (1, None)

    def validate(self, p: RefineNetParams, *paths: Shape) -> None:
        if p.adapt is not None and len(p.adapt) != len(paths):
            raise ParamError("adapt", f"has {len(p.adapt)} flags but the node has {len(paths)} input path(s)",
                             "give one true/false per input path")

    def expand(self, p: RefineNetParams, n_inputs: int) -> dict:
        names = [f"x{k}" for k in range(n_inputs)]
        adapt = p.adapt if p.adapt is not None else [True] * n_inputs
        nodes: dict = {}
        paths = []
        for k, (name, on) in enumerate(zip(names, adapt)):
            top = name
            if on and p.dimred:
                nodes[f"dimred{k}"] = {"block": "conv", "from": top, "out": p.features, "kernel": 3, "bias": False}
                top = f"dimred{k}"
            if on and p.adapt_rcus:
                nodes[f"adapt{k}"] = {"block": "rcu", "from": top, "repeat": p.adapt_rcus}
                top = f"adapt{k}"
            paths.append(top)
        mrf = {"block": "mrf", "from": paths}
        if p.align_corners is not None:
            mrf["align_corners"] = p.align_corners
        nodes["mrf"] = mrf
        nodes["crp"] = {"block": "crp", "stages": p.crp_stages, "order": p.crp_order}
        if p.out_rcus:
            nodes["output"] = {"block": "rcu", "repeat": p.out_rcus}
        return {"inputs": dict.fromkeys(names), "nodes": nodes, "outputs": {"out": list(nodes)[-1]}}


@hookimpl
def segkit_register_blocks(register):
    register(RefineNet)
