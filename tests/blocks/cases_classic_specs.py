"""Contract cases for the blocks added with the classic architecture specs: FCN's
bilinear-initialised transposed convolution and Caffe's offset crop (segkit/blocks/fcn.py)."""
from __future__ import annotations

from hypothesis import strategies as st

from segkit import Shape

from .contract import Case, sq

ints = st.integers


def _nd(channels=ints(1, 4)):
    """One input of rank 1, 2 or 3 with small sizes."""
    return st.tuples(channels, ints(1, 3)).flatmap(
        lambda t: st.lists(ints(1, 6 if t[1] == 3 else 10), min_size=t[1], max_size=t[1]).map(
            lambda sizes, c=t[0]: [Shape(c, tuple(sizes))]))


def _crop_pair():
    """[x, like] of one rank, like no larger than x."""
    return st.tuples(ints(1, 3), ints(1, 3)).flatmap(
        lambda t: st.lists(st.tuples(ints(1, 8), ints(0, 5)), min_size=t[1], max_size=t[1]).map(
            lambda dims, c=t[0]: [Shape(c, tuple(n + extra for n, extra in dims)),
                                  Shape(1, tuple(n for n, _ in dims))]))


CASES = {
    "bilinear_deconv": Case(st.fixed_dictionaries({"out": st.sampled_from([None, 2, 5]), "kernel": ints(1, 6),
                                                   "stride": ints(1, 3), "padding": ints(0, 1),
                                                   "bias": st.booleans(), "trainable": st.booleans()}), _nd(),
        forms={"fixed_x2": ({}, [sq(3, 5)]),
               "trainable_x4_bias": ({"out": 3, "kernel": 8, "stride": 4, "bias": True, "trainable": True},
                                     [sq(3, 5)])}),
    "offset_crop": Case(st.fixed_dictionaries({"like": st.just("x1"), "offset": ints(0, 3)}), _crop_pair(),
                        sources=["x0"],
        forms={"caffe_offset": ({"like": "x1", "offset": 3}, [sq(3, 12), sq(1, 7)])}),
}
