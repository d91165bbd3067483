"""Regularizers of residual branches: ``layer_scale``, a learned per-channel scale of a
branch (Touvron et al., "Going deeper with Image Transformers" (CaiT), ICCV 2021; used
by ConvNeXt, Liu et al., CVPR 2022), and ``drop_path``, stochastic depth, which drops a
whole branch per sample in training and scales the kept ones by 1/(1-p) (Huang et al.,
"Deep Networks with Stochastic Depth", ECCV 2016). Both keep the shape, of any rank,
and cost no MACs; the modules are in ``segkit/ops/residual_nn.py``."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from segkit.core.block import Block, Params
from segkit.core.shape import POINTWISE, Inference, Shape
from segkit.core.size_algebra import keeps_size
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.


class LayerScaleParams(Params):
    init: float = 1e-6
    """Initial value of every scale (ConvNeXt: 1e-6)."""


class LayerScale(Block):
    """Multiply each channel by a learned scale ``gamma``."""

    name = "layer_scale"
    Params = LayerScaleParams
    spatial_rule = keeps_size

    def infer(self, p, x: Shape) -> Inference:
        return Inference({"out": x}, params=x.channels, geometry=POINTWISE)

    def build(self, p, x: Shape):
        from segkit.ops.residual_nn import LayerScale as Module

        return Module(x.channels, p.init)


class DropPathParams(Params):
    p: Annotated[float, Field(ge=0, lt=1)] = 0.0
    """Probability of dropping the branch of a sample in training."""
    scale_by_keep: bool = True
    """Divide kept branches by 1 - p, so the expectation is unchanged."""


class DropPath(Block):
    """Stochastic depth on a residual branch: identity in eval mode."""

    name = "drop_path"
    Params = DropPathParams
    spatial_rule = keeps_size

    def infer(self, p, x: Shape) -> Inference:
        return Inference({"out": x}, geometry=POINTWISE)

    def build(self, p, x: Shape):
        from segkit.ops.residual_nn import DropPath as Module

        return Module(p.p, p.scale_by_keep)


@hookimpl
def segkit_register_blocks(register):
    for block in (LayerScale, DropPath):
        register(block)
