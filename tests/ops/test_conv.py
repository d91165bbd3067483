"""conv, conv_transpose, sepconv: shape rules agree with PyTorch."""
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from segkit.core.shape import Shape
from segkit.errors import ShapeError
from segkit.ops.conv import Conv, ConvTranspose, SepConv
from segkit.testing import check_against_torch, check_block, shapes, sizes


def test_conv_transpose_docs_example():
    p = {"out": 33, "kernel": 3, "stride": 2, "padding": 1, "dilation": 2}
    out = check_block(ConvTranspose, p, Shape(16, (50, 100)), batch=1)["out"]
    assert tuple(out.shape) == (1, 33, 101, 201)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("padding", ["same", "auto"])
@pytest.mark.parametrize("kernel,dilation", [(3, 1), (3, 2), (5, 3), (4, 1)])
def test_padding_keeps_size(padding, kernel, dilation):
    x = Shape(4, (13, 10))
    out = check_block(Conv, {"out": 6, "kernel": kernel, "dilation": dilation, "padding": padding}, x)["out"]
    if padding == "same" or kernel % 2:
        assert tuple(out.shape[2:]) == x.spatial


def test_same_padding_needs_stride_1():
    with pytest.raises(ShapeError, match="stride 1"):
        Conv().infer(Conv.Params(out=4, stride=2, padding="same"), Shape(3, (8, 8)))


def test_groups_and_depthwise():
    check_block(Conv, {"out": 8, "groups": 4}, Shape(4, (9, 9)))
    out = check_block(Conv, {"out": 6, "groups": 6, "bias": False}, Shape(6, (5, 7, 3)))["out"]
    assert out.shape == (2, 6, 5, 7, 3)
    with pytest.raises(ShapeError, match="groups"):
        Conv().infer(Conv.Params(out=6, groups=4), Shape(6, (8, 8)))


def test_geometry():
    inf = Conv().infer(Conv.Params(out=4, kernel=3, stride=2, dilation=2), Shape(3, (16, 16)))
    assert inf.geometry.kernel == (5, 5) and inf.geometry.jump == (2, 2)
    up = ConvTranspose().infer(ConvTranspose.Params(out=4, kernel=2, stride=2), Shape(3, (8,)))
    assert up.geometry.jump == (Fraction(1, 2),)


@given(st.data())
def test_conv_agrees_with_torch(data):
    x = data.draw(shapes(1, 3, max_size=12))
    p = {"out": data.draw(st.integers(1, 8)), "kernel": data.draw(sizes(x.rank, 1, 4)),
         "stride": data.draw(sizes(x.rank, 1, 3)), "dilation": data.draw(sizes(x.rank, 1, 2)),
         "padding": data.draw(sizes(x.rank, 0, 2) | st.sampled_from(["same", "auto"])),
         "groups": data.draw(st.integers(1, 4)), "bias": data.draw(st.booleans())}
    check_against_torch(Conv, p, x)


@given(st.data())
def test_conv_transpose_agrees_with_torch(data):
    x = data.draw(shapes(1, 3, max_size=8))
    p = {"out": data.draw(st.integers(1, 8)), "kernel": data.draw(sizes(x.rank, 1, 4)),
         "stride": data.draw(sizes(x.rank, 1, 3)), "dilation": data.draw(sizes(x.rank, 1, 2)),
         "padding": data.draw(sizes(x.rank, 0, 2)), "output_padding": data.draw(sizes(x.rank, 0, 2)),
         "groups": data.draw(st.integers(1, 3)), "bias": data.draw(st.booleans())}
    check_against_torch(ConvTranspose, p, x)


@given(st.data())
def test_sepconv_agrees_with_torch(data):
    x = data.draw(shapes(1, 3, max_size=10))
    p = {"out": data.draw(st.integers(1, 8)), "kernel": data.draw(sizes(x.rank, 1, 3)),
         "stride": data.draw(sizes(x.rank, 1, 2)), "dilation": data.draw(sizes(x.rank, 1, 2)),
         "multiplier": data.draw(st.integers(1, 2)), "mid_norm": data.draw(st.sampled_from(["none", "bn"])),
         "mid_act": data.draw(st.sampled_from(["none", "relu"])), "bias": data.draw(st.booleans())}
    check_against_torch(SepConv, p, x)
