"""concat, add, mul: channel sums, broadcasting as in PyTorch, mismatches naming the
two conflicting inputs."""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from segkit.core.shape import Shape
from segkit.errors import MismatchError
from segkit.ops.merge import Add, Concat, Mul
from segkit.testing import check_against_torch, check_block, shapes


@given(shapes(0, 3, max_size=8), st.lists(st.integers(1, 8), min_size=2, max_size=4))
def test_concat(x, channels):
    out = check_block(Concat, {}, *(x.with_channels(c) for c in channels))["out"]
    assert out.shape[1] == sum(channels)


def test_concat_mismatch_names_both_inputs():
    with pytest.raises(MismatchError, match="spatial sizes differ") as info:
        Concat().infer(Concat.Params(), Shape(4, (8, 8)), Shape(2, (8, 8)), Shape(4, (7, 8)))
    assert info.value.pair == (0, 2)
    with pytest.raises(MismatchError, match="different numbers of spatial dims"):
        Concat().infer(Concat.Params(), Shape(4, (8, 8)), Shape(4, (8,)))


@st.composite
def broadcastable(draw):
    """2 to 4 shapes of equal rank, each size picked from a base size a (mostly), 1
    (often) or another size b (sometimes): mostly broadcastable, sometimes not."""
    base = draw(shapes(0, 3, max_size=6))
    other = draw(shapes(base.rank, base.rank, max_size=6))
    choice = st.sampled_from([0, 0, 0, 1, 1, 2])
    out = []
    for _ in range(draw(st.integers(2, 4))):
        sizes = [(a, 1, b)[draw(choice)] for a, b in zip(base.as_tuple(), other.as_tuple())]
        out.append(Shape(sizes[0], tuple(sizes[1:])))
    return out


@given(broadcastable(), st.sampled_from([Add, Mul]))
def test_add_mul_agree_with_torch(xs, block):
    check_against_torch(block, {}, *xs)


def test_gate_times_features():
    out = check_block(Mul, {}, Shape(8, (1, 1)), Shape(8, (5, 6)))["out"]
    assert out.shape == (2, 8, 5, 6)
    x = torch.randn(2, 3, 4)
    summed = check_block(Add, {}, Shape(3, (4,)), Shape(3, (4,)), Shape(3, (4,)), inputs={0: x, 1: x, 2: x})["out"]
    assert torch.allclose(summed, 3 * x)


def test_add_mismatch_pair():
    with pytest.raises(MismatchError, match="channels differ") as info:
        Add().infer(Add.Params(), Shape(4, (8, 8)), Shape(4, (8, 8)), Shape(3, (8, 8)))
    assert info.value.pair == (0, 2)
