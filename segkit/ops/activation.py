"""Activations: ``act`` (one block for every elementwise nonlinearity, chosen by
``kind``), and ``softmax`` / ``sigmoid`` over the channels for class probabilities.

The kinds include PReLU with one slope per channel as in ENet (Paszke et al., 2016; He
et al., "Delving Deep into Rectifiers", ICCV 2015), GELU (Hendrycks & Gimpel, 2016),
SiLU (Elfwing et al., 2018) and hard-swish (Howard et al., "MobileNetV3", ICCV 2019).
All keep the shape, of any rank, and cost no MACs.
"""
from __future__ import annotations

from typing import Literal

from segkit.core.block import Block, Params, expect
from segkit.core.shape import POINTWISE, Inference, Shape
from segkit.core.size_algebra import keeps_size
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.


Kind = Literal["relu", "relu6", "leaky_relu", "prelu", "elu", "gelu", "silu", "tanh", "sigmoid", "hardswish",
               "hardsigmoid"]
"""The activation kinds."""
INPLACE = ("relu", "relu6", "leaky_relu", "elu", "silu", "hardswish", "hardsigmoid")
"""The kinds whose torch module takes ``inplace``."""
MODULES = {"relu": "ReLU", "relu6": "ReLU6", "leaky_relu": "LeakyReLU", "prelu": "PReLU", "elu": "ELU",
           "gelu": "GELU", "silu": "SiLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "hardswish": "Hardswish",
           "hardsigmoid": "Hardsigmoid"}
ONLY_FOR = {"negative_slope": "leaky_relu", "num_parameters": "prelu"}
"""Params that apply to one kind only; setting them for another is a mistake."""


class ActParams(Params):
    kind: Kind = "relu"
    """The nonlinearity."""
    inplace: bool = False
    """Overwrite the input (relu, relu6, leaky_relu, elu, silu, hardswish, hardsigmoid)."""
    negative_slope: float = 0.01
    """Slope for negative inputs of leaky_relu."""
    num_parameters: Literal["channel", 1] = "channel"
    """PReLU slopes: "channel" learns one per channel (ENet), 1 learns a single one."""


class Act(Block):
    """An elementwise activation (``torch.nn.ReLU``, ``PReLU``, ``GELU``, ... by ``kind``)."""

    name = "act"
    Params = ActParams
    spatial_rule = keeps_size

    def infer(self, p, x: Shape) -> Inference:
        expect(not p.inplace or p.kind in INPLACE, f"{p.kind} has no in-place form",
               f"drop inplace; it applies to {', '.join(INPLACE)}")
        for field, kind in ONLY_FOR.items():
            expect(field not in p.model_fields_set or p.kind == kind,
                   f"'{field}' applies to kind {kind}, not {p.kind}")
        params = 0
        if p.kind == "prelu":
            params = x.channels if p.num_parameters == "channel" else 1
        return Inference({"out": x}, params=params, geometry=POINTWISE)

    def build(self, p, x: Shape):
        import torch.nn as nn

        cls = getattr(nn, MODULES[p.kind])
        if p.kind == "prelu":
            return cls(x.channels if p.num_parameters == "channel" else 1)
        if p.kind == "leaky_relu":
            return cls(p.negative_slope, inplace=p.inplace)
        return cls(inplace=p.inplace) if p.kind in INPLACE else cls()


class Softmax(Block):
    """Softmax over the channels (``torch.nn.Softmax(dim=1)``): per-pixel class
    probabilities."""

    name = "softmax"
    spatial_rule = keeps_size

    def infer(self, p, x: Shape) -> Inference:
        return Inference({"out": x}, geometry=POINTWISE)

    def build(self, p, x: Shape):
        import torch.nn as nn

        return nn.Softmax(dim=1)


class Sigmoid(Block):
    """Logistic sigmoid (``torch.nn.Sigmoid``): per-pixel probabilities for binary or
    multi-label outputs, or gates."""

    name = "sigmoid"
    spatial_rule = keeps_size

    def infer(self, p, x: Shape) -> Inference:
        return Inference({"out": x}, geometry=POINTWISE)

    def build(self, p, x: Shape):
        import torch.nn as nn

        return nn.Sigmoid()


@hookimpl
def segkit_register_blocks(register):
    for block in (Act, Softmax, Sigmoid):
        register(block)
