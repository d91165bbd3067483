"""``expect(..., param=NAME)`` in a block's ``infer`` is reported at that param's line,
like ``ParamError``; without ``param`` at the node's."""
from __future__ import annotations

import types

import pytest

import segkit
from segkit.errors import ShapeError, SpecSchemaError
from segkit.plugin import POINTWISE, Block, Inference, Params, Shape, expect, hookimpl
from segkit.testing import make_registry


class ReduceParams(Params):
    reduction: int = 2


class Reduce(Block):
    """Keeps the input; its reduction must divide the channels."""

    name = "reduce_check"
    Params = ReduceParams

    def infer(self, p, x: Shape) -> Inference:
        expect(x.channels % p.reduction == 0, f"{p.reduction} does not divide the {x.channels} channels",
               param="reduction")
        expect(min(x.spatial) >= 4, "needs maps of at least 4x4")
        return Inference({"out": x}, geometry=POINTWISE)


def registry():
    return make_registry(("reduce-plugin", types.SimpleNamespace(
        segkit_register_blocks=hookimpl(lambda register: register(Reduce)))))


def spec(channels: int) -> str:
    return (f"segkit: 1\nname: t\ninputs: {{x: {channels}}}\nnodes:\n  a: {{block: reduce_check, from: x,\n"
            "      reduction: 3}\noutputs: {out: a}\n")


def test_expect_with_param_points_at_the_param_line():
    with pytest.raises(SpecSchemaError) as info:
        segkit.check(spec(4), "4x8x8", registry=registry())
    assert info.value.message == "param 'reduction' of block 'reduce_check': 3 does not divide the 4 channels"
    assert info.value.loc.line == 6


def test_expect_without_param_points_at_the_node():
    with pytest.raises(ShapeError) as info:
        segkit.check(spec(6), "6x2x2", registry=registry())
    assert "needs maps of at least 4x4" in info.value.message and info.value.loc.line == 5
