"""``mrf``: multi-resolution fusion of RefineNet (Lin et al., "RefineNet: Multi-Path
Refinement Networks for High-Resolution Semantic Segmentation", CVPR 2017, Sec. 3.2).

Each input path gets a 3x3 conv (no bias, as in the official code) to ``features``
channels (default: the smallest input width), every path is upsampled bilinearly to
the resolution of the finest path, and the paths are summed. With a single input
there is nothing to fuse and the official code adds no layer (RefineNet-4): the input
passes through, unless ``features`` asks for another width (then just the conv).

The finest path is the input named by ``target`` (default the first, as in
``from: [enc.c4, rf4]``): the expression language cannot compare spatial sizes, so
the order is a convention. A Python macro because the number of inputs varies.
"""
from __future__ import annotations

from typing import Literal, Optional

from segkit.core.block import Macro, ParamError, Params
from segkit.core.shape import Shape
from segkit.ops.params import NonNegInt, PosInt
from segkit.plugins.hookspecs import hookimpl


class MRFParams(Params):
    features: Optional[PosInt] = None
    """Channels of the fused output; null = the smallest input width (the paper)."""
    target: NonNegInt = 0
    """Index of the finest input: all paths are resized to its spatial size."""
    kernel: PosInt = 3
    """Kernel of the per-path convs."""
    bias: bool = False
    """Bias of the per-path convs (none in the official code)."""
    mode: Literal["auto", "nearest", "bilinear", "bicubic"] = "auto"
    """Upsampling mode; auto is bilinear for 2-d inputs."""
    align_corners: Optional[bool] = None
    """align_corners of the upsampling (DrSleep's port: true; unset = false)."""


class MRF(Macro):
    """Multi-resolution fusion (RefineNet, CVPR 2017): 3x3 conv per path to the
    smallest width, upsample to the finest path, sum; one input passes through."""

    name = "mrf"
    Params = MRFParams
    arity = (1, None)

    def validate(self, p: MRFParams, *paths: Shape) -> None:
        if p.target >= len(paths):
            raise ParamError("target", f"{p.target} names no input (the node has {len(paths)})",
                             "target is the index of the finest input in 'from'")

    def expand(self, p: MRFParams, n_inputs: int) -> dict:
        names = [f"x{k}" for k in range(n_inputs)]
        inputs = dict.fromkeys(names)
        if n_inputs == 1 and p.features is None:
            return {"inputs": inputs, "nodes": {}, "outputs": {"out": "x0"}}
        if p.features is not None:
            width = p.features
        else:
            width = "${min([" + ", ".join(f"channels('{n}')" for n in names) + "])}"
        target = f"x{p.target}"
        resize = {"block": "resize", "like": target, "mode": p.mode}
        if p.align_corners is not None:
            resize["align_corners"] = p.align_corners
        nodes: dict = {}
        terms = []
        for k, name in enumerate(names):
            nodes[f"conv{k}"] = {"block": "conv", "from": name, "out": width, "kernel": p.kernel, "bias": p.bias}
            if name == target:
                terms.append(f"conv{k}")
            else:
                nodes[f"up{k}"] = {**resize, "from": f"conv{k}"}
                terms.append(f"up{k}")
        if len(terms) == 1:
            return {"inputs": inputs, "nodes": nodes, "outputs": {"out": terms[0]}}
        nodes["sum"] = {"block": "add", "from": terms}
        return {"inputs": inputs, "nodes": nodes, "outputs": {"out": "sum"}}


@hookimpl
def segkit_register_blocks(register):
    register(MRF)
