"""resize: floor(in * scale) in double precision as F.interpolate, fixed sizes, like
another node; modes checked against the rank."""
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from segkit.core.shape import Geometry, Shape
from segkit.errors import ShapeError
from segkit.ops.resize import Resize
from segkit.testing import check_against_torch, check_block, shapes, sizes

modes = st.sampled_from(["auto", "nearest", "linear", "bilinear", "bicubic", "trilinear"])
align = st.sampled_from([None, False, True])


@given(shapes(1, 3, max_size=12), st.data(), modes, align)
def test_scale_agrees_with_torch(x, data, mode, align_corners):
    scale = st.floats(0.05, 3.0, allow_nan=False)
    p = {"scale": data.draw(scale | st.lists(scale, min_size=x.rank, max_size=x.rank)),
         "mode": mode, "align_corners": align_corners}
    check_against_torch(Resize, p, x)


@given(shapes(1, 3, max_size=12), st.data(), modes, align)
def test_size_agrees_with_torch(x, data, mode, align_corners):
    check_against_torch(Resize, {"size": data.draw(sizes(x.rank, 1, 16)), "mode": mode,
                                 "align_corners": align_corners}, x)


@given(shapes(1, 3, max_size=12), shapes(1, 3, max_size=12), modes)
def test_like_agrees_with_torch(x, like, mode):
    out = check_against_torch(Resize, {"like": "image", "mode": mode}, x, like)
    if out is not None:
        assert out["out"].shape[1:] == (x.channels, *like.spatial)


def test_scale_floors_the_double_product():
    # 49 * (1/49) is 0.9999999999999999 in double: torch gives no output
    assert math.floor(49 * (1 / 49)) == 0
    with pytest.raises(ShapeError, match="leaves no output"):
        Resize().infer(Resize.Params(scale=1 / 49), Shape(1, (49,)))
    out = check_block(Resize, {"scale": [0.7, 1.1]}, Shape(2, (10, 100)))["out"]
    assert out.shape[2:] == (7, 110)


def test_geometry():
    resize = Resize()
    assert resize.infer(resize.Params(scale=2), Shape(1, (4, 4))).geometry.jump == (Fraction(1, 2),) * 2
    assert resize.infer(resize.Params(size=[8, 6]), Shape(1, (4, 9))).geometry.jump == (Fraction(1, 2),
                                                                                        Fraction(3, 2))
    assert resize.infer(resize.Params(like="img"), Shape(1, (4, 4)), Shape(3, (16, 16))).geometry == \
        Geometry.resample_like(1)


@pytest.mark.parametrize("params,shape,message", [
    ({"scale": 2, "size": 4}, Shape(1, (4, 4)), "exactly one of scale, size and like"),
    ({}, Shape(1, (4, 4)), "exactly one of"),
    ({"scale": 2, "mode": "bilinear"}, Shape(1, (4,)), "bilinear works on 2 spatial dims"),
    ({"scale": 2, "mode": "nearest", "align_corners": True}, Shape(1, (4, 4)), "align_corners does not apply"),
    ({"scale": [2, 2]}, Shape(1, (4, 4, 4)), "'scale' has 2 values"),
])
def test_invalid(params, shape, message):
    with pytest.raises(ShapeError, match=message):
        Resize().infer(Resize.Params(**params), shape)
