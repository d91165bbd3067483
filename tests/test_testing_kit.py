"""segkit.testing: the plugin author's one-line block test, and that it can fail (a wrong
shape rule, a graph break under torch.compile)."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given

import segkit
from segkit.ops.conv import Conv
from segkit.ops.pool import MaxPool
from segkit.testing import block_test, graph_breaks, params_strategy, shapes

test_conv_block_kit = block_test(Conv, max_examples=15)
test_maxpool_block_kit = block_test(MaxPool, max_examples=15)


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
        block_test(ItemConv, max_examples=3)()


def test_graph_breaks_names_the_reason_and_is_empty_for_a_clean_module():
    def printing(t):
        print("forward")
        return t + 1

    reasons = graph_breaks(printing, torch.randn(2, 3))
    assert len(reasons) == 1 and reasons[0]
    assert graph_breaks(torch.nn.Conv2d(3, 4, 3), torch.randn(2, 3, 8, 8)) == []
