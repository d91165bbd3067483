"""split, slice, pad_channels, crop: channel bookkeeping and center crops."""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from segkit.core.shape import Shape
from segkit.errors import ShapeError
from segkit.ops.channels import Crop, PadChannels, Slice, Split
from segkit.testing import check_block, shapes, sizes


@given(shapes(0, 3, max_size=6), st.lists(st.integers(1, 4), min_size=2, max_size=4))
def test_split_sizes(x, parts):
    x = x.with_channels(sum(parts))
    outs = check_block(Split, {"sizes": parts}, x)
    assert list(outs) == [str(i) for i in range(len(parts))]


@given(shapes(0, 3, max_size=6), st.integers(2, 4), st.integers(1, 3))
def test_split_parts(x, parts, each):
    outs = check_block(Split, {"parts": parts}, x.with_channels(parts * each))
    assert [t.shape[1] for t in outs.values()] == [each] * parts


@pytest.mark.parametrize("params,message", [
    ({"sizes": [2, 3]}, "sum to 5, not the 6 channels"),
    ({"parts": 4}, "4 parts do not divide the 6 channels"),
    ({"sizes": [3, 3], "parts": 2}, "exactly one of sizes and parts"),
    ({}, "exactly one of sizes and parts"),
])
def test_split_invalid(params, message):
    with pytest.raises(ShapeError, match=message):
        Split().infer(Split.Params(**params), Shape(6, (4, 4)))


@given(shapes(0, 3, max_size=6, channels=8), st.integers(0, 7), st.none() | st.integers(1, 8))
def test_slice(x, start, stop):
    if start < (8 if stop is None else stop):
        out = check_block(Slice, {"start": start, "stop": stop}, x)["out"]
        assert out.shape[1] == len(range(8)[start:stop])
    else:
        with pytest.raises(ShapeError, match="empty or exceeds"):
            Slice().infer(Slice.Params(start=start, stop=stop), x)


@given(shapes(0, 3, max_size=6), st.integers(0, 4))
def test_pad_channels(x, extra):
    inp = torch.randn(2, *x.as_tuple())
    out = check_block(PadChannels, {"out": x.channels + extra}, x, inputs={0: inp})["out"]
    assert torch.equal(out[:, :x.channels], inp) and not out[:, x.channels:].any()
    with pytest.raises(ShapeError, match="use slice"):
        PadChannels().infer(PadChannels.Params(out=x.channels), x.with_channels(x.channels + 1))


@given(shapes(1, 3, max_size=12), st.data())
def test_crop_like(x, data):
    like = Shape(data.draw(st.integers(1, 8)), tuple(data.draw(st.integers(1, s)) for s in x.spatial))
    inp = torch.randn(2, *x.as_tuple())
    out = check_block(Crop, {"like": "skip"}, x, like, inputs={0: inp})["out"]
    offsets = [(s - t) // 2 for s, t in zip(x.spatial, like.spatial)]
    centre = inp[(slice(None), slice(None), *(slice(o, o + t) for o, t in zip(offsets, like.spatial)))]
    assert torch.equal(out, centre)


@given(shapes(1, 3, min_size=4, max_size=12), st.data())
def test_crop_size(x, data):
    check_block(Crop, {"size": data.draw(sizes(x.rank, 1, 4))}, x)


def test_crop_invalid():
    crop = Crop()
    with pytest.raises(ShapeError, match="cannot crop input 4x8x8 to the larger size 9x8"):
        crop.infer(crop.Params(like="skip"), Shape(4, (8, 8)), Shape(2, (9, 8)))
    with pytest.raises(ShapeError, match="exactly one of like and size"):
        crop.infer(crop.Params(like="skip", size=2), Shape(4, (8, 8)), Shape(2, (4, 4)))
    with pytest.raises(ShapeError, match="not of the rank"):
        crop.infer(crop.Params(like="skip"), Shape(4, (8, 8)), Shape(2, (4,)))
