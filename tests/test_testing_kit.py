"""segkit.testing: the plugin author's one-line block test, and that it can fail (a wrong
shape rule, a graph break under torch.compile)."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import segkit
from segkit.core.shape import Geometry, Inference
from segkit.core.size_algebra import SpatialRule, equal, every
from segkit.ops.conv import Conv
from segkit.ops.misc import Identity
from segkit.ops.pool import MaxPool
from segkit.testing import block_test, graph_breaks, params_strategy, shapes

test_conv_block_kit = block_test(
    Conv, params_strategy(Conv, groups=1, kernel=st.integers(1, 4), stride=st.integers(1, 3), dilation=st.integers(1, 2),
                          padding=st.integers(0, 2)),
    shapes(min_rank=1, max_rank=2, min_size=4, max_size=12).map(lambda s: [s]), max_examples=15)
test_maxpool_block_kit = block_test(
    MaxPool, params_strategy(MaxPool, kernel=st.integers(1, 4), stride=st.sampled_from([None, 1, 2]), dilation=1, padding=0),
    shapes(min_rank=1, max_rank=2, min_size=4, max_size=12).map(lambda s: [s]), max_examples=15)


@given(params_strategy(Conv))
def test_derived_params_respect_field_bounds(params):
    assert params["out"] >= 1 and params["groups"] >= 1 and params["dilation"] != 0
    padding = params["padding"]
    values = padding if isinstance(padding, list) else [padding]
    assert padding in ("auto", "same") or all(isinstance(v, int) and v >= 0 for v in values)


class OffByOne(Conv):
    """A deliberately wrong shape rule: the kit must catch it."""

    name = "off_by_one"

    def infer(self, p, x):
        result = super().infer(p, x)
        out = result.out
        result.outputs["out"] = out.with_channels(out.channels + 1)
        return result


def test_the_kit_catches_a_wrong_shape_rule():
    with pytest.raises(AssertionError):
        block_test(OffByOne, max_examples=5)()


def test_strategies_draw_from_the_public_shape_type():
    @given(shapes(min_rank=2, max_rank=2))
    def check(shape):
        assert isinstance(shape, segkit.Shape) and shape.rank == 2

    check()


class ItemConv(Conv):
    """An exact shape rule on a module whose forward reads a tensor value into Python
    (``.item()``), which splits the graph: the kit must catch it."""

    name = "item_conv"

    def build(self, p, x):
        conv = super().build(p, x)

        class Module(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = conv

            def forward(self, t):
                return self.conv(t) * (t.abs().max().item() >= 0)

        return Module()


def test_the_kit_catches_a_graph_break():
    with pytest.raises(AssertionError, match="graph break"):
        block_test(ItemConv, params_strategy(Conv, groups=1, kernel=1, stride=1),
                   shapes(min_rank=1, max_rank=1, min_size=4).map(lambda s: [s]), max_examples=3)()


def test_graph_breaks_names_the_reason_and_is_empty_for_a_clean_module():
    def printing(t):
        print("forward")
        return t + 1

    reasons = graph_breaks(printing, torch.randn(2, 3))
    assert len(reasons) == 1 and reasons[0]
    assert graph_breaks(torch.nn.Conv2d(3, 4, 3), torch.randn(2, 3, 8, 8)) == []


class HalvingRuleIdentity(Identity):
    """Keeps any size, but its size rule claims it takes even sizes only (as a block that
    halves the size would)."""

    name = "halving_rule_identity"

    def spatial_rule(self, p, x):
        return SpatialRule({"out": x}, every(equal(s // 2 * 2, s) for s in x))


def test_the_kit_catches_a_mis_declared_size_rule():
    with pytest.raises(AssertionError, match="size rule"):
        block_test(HalvingRuleIdentity, max_examples=10)()


class GlobalGate(Identity):
    """x * mean(x): every output pixel sees the whole input, yet it declares a 3x3 window."""

    name = "global_gate"

    def infer(self, p, x):
        return Inference({"out": x}, geometry=Geometry.window((3,) * x.rank, (1,) * x.rank))

    def build(self, p, x):
        class Module(torch.nn.Module):
            def forward(self, t):
                return t * t.mean(dim=tuple(range(2, t.dim())), keepdim=True)

        return Module()


def test_the_kit_catches_a_wrong_receptive_field():
    with pytest.raises(AssertionError, match="receptive field"):
        block_test(GlobalGate, max_examples=5)()


class StrideTwoClaim(Conv):
    """A 3x3 conv of stride 1 that declares stride 2 (and infers the stride-1 sizes)."""

    name = "stride_two_claim"

    def infer(self, p, x):
        result = super().infer(p, x)
        rank = x.rank
        result.geometry = Geometry.window((3,) * rank, (2,) * rank)
        return result


def test_the_kit_catches_a_wrong_stride():
    with pytest.raises(AssertionError, match="stride"):
        block_test(StrideTwoClaim, params_strategy(Conv, kernel=3, groups=1, stride=1, dilation=1, padding=1),
                   shapes(min_rank=1, max_rank=2, min_size=8, max_size=12).map(lambda s: [s]), max_examples=5)()


class Undeclared(Identity):
    name = "undeclared_geometry"

    def infer(self, p, x):
        return Inference({"out": x})


def test_a_block_without_geometry_gets_a_warning_with_the_measured_field():
    with pytest.warns(UserWarning, match="declares no geometry"):
        block_test(Undeclared, max_examples=3)()


def test_the_kit_fails_with_advice_when_few_draws_are_valid():
    with pytest.raises(AssertionError, match="draw mostly valid cases"):
        block_test(Conv, params_strategy(Conv, groups=1, kernel=5, padding=0),
                   shapes(min_rank=1, max_rank=1, min_size=1, max_size=4).map(lambda s: [s]), max_examples=10)()
