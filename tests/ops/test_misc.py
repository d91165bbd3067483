"""dropout, dropout2d, identity: shapes pass through."""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from segkit.core.shape import Shape
from segkit.errors import ShapeError
from segkit.ops.misc import Dropout, Dropout2d, Identity
from segkit.testing import check_block, shapes


@given(shapes(0, 3, max_size=8), st.floats(0, 1), st.booleans())
def test_dropout(x, p, inplace):
    check_block(Dropout, {"p": p, "inplace": inplace}, x)


@given(shapes(1, 3, max_size=8), st.floats(0, 1))
def test_dropout2d(x, p):
    check_block(Dropout2d, {"p": p}, x)


def test_dropout2d_drops_whole_channels():
    out = check_block(Dropout2d, {"p": 0.5}, Shape(64, (4, 4)))["out"]
    per_channel = out.flatten(2)
    assert ((per_channel == 0).all(2) | (per_channel != 0).all(2)).all()
    with pytest.raises(ShapeError, match="1 to 3 spatial dims"):
        Dropout2d().infer(Dropout2d.Params(), Shape(8))


@given(shapes(0, 3, max_size=8))
def test_identity(x):
    inp = torch.randn(2, *x.as_tuple())
    assert check_block(Identity, {}, x, inputs={0: inp})["out"] is inp
