"""Contract cases for the primitive ops (segkit/ops)."""
from __future__ import annotations

from hypothesis import strategies as st

from segkit import Shape

from .contract import Case, shapes_2d, sq


def _nd(channels=st.integers(1, 6), rank=st.integers(1, 3), size=st.integers(6, 14), n: int = 1):
    return st.tuples(channels, rank, size).map(lambda t: [Shape(t[0], (t[2],) * t[1])] * n)


ints = st.integers
ACT_KINDS = ["relu", "relu6", "leaky_relu", "prelu", "elu", "gelu", "silu", "tanh", "sigmoid", "hardswish",
             "hardsigmoid"]
X = [sq(4, 8)]
"""The input of most forms: 4 channels, 8x8."""
CASES = {
    "conv": Case(
        st.fixed_dictionaries({"out": ints(1, 6), "kernel": ints(1, 3), "stride": ints(1, 2), "dilation": ints(1, 2),
                               "bias": st.booleans(), "padding": st.sampled_from(["auto", 0, 1])}), _nd(),
        forms={"3x3": ({"out": 6}, X),
               "strided_dilated_grouped": ({"out": 6, "stride": 2, "dilation": 2, "groups": 2}, X),
               "same_no_bias": ({"out": 3, "kernel": [3, 1], "padding": "same", "bias": False}, X),
               "valid_1d": ({"out": 3, "kernel": 5, "padding": 0}, [sq(2, 9, 1)]),
               "strided_3d": ({"out": 3, "stride": 2}, [sq(2, 5, 3)])}),
    "conv_transpose": Case(
        st.fixed_dictionaries({"out": ints(1, 6), "kernel": ints(1, 4), "stride": ints(1, 3), "padding": ints(0, 1),
                               "dilation": ints(1, 2)}), _nd(),
        forms={"padded_dilated": ({"out": 5, "kernel": 3, "stride": 2, "padding": 1, "dilation": 2,
                                   "output_padding": 1}, X),
               "grouped_1d": ({"out": 4, "stride": 2, "groups": 2}, [sq(2, 7, 1)])}),
    "sepconv": Case(
        st.fixed_dictionaries({"out": ints(1, 6), "dilation": ints(1, 3), "stride": ints(1, 2),
                               "mid_norm": st.sampled_from(["none", "bn"]),
                               "mid_act": st.sampled_from(["none", "relu"])}), _nd(),
        forms={"plain": ({"out": 5}, X),
               "atrous_strided_bn_relu": ({"out": 5, "stride": 2, "dilation": 2, "multiplier": 2, "mid_norm": "bn",
                                           "mid_act": "relu", "bias": True}, X)}),
    "bn": Case(st.just({}), _nd(), forms={"2d": ({}, X), "1d_no_affine": ({"affine": False}, [sq(4, 6, 1)])}),
    "gn": Case(st.sampled_from([1, 2]).map(lambda g: {"groups": g}), _nd(channels=st.sampled_from([2, 4, 6])),
               forms={"2_groups": ({"groups": 2}, X)}),
    "in": Case(st.fixed_dictionaries({"affine": st.booleans()}), _nd(),
               forms={"plain": ({}, X), "affine": ({"affine": True}, X)}),
    "act": Case(st.fixed_dictionaries({"kind": st.sampled_from(ACT_KINDS)}), _nd(),
                forms={kind: ({"kind": kind}, X) for kind in ACT_KINDS}),
    "softmax": Case(st.just({}), _nd(), forms={"channels": ({}, X)}),
    "sigmoid": Case(st.just({}), _nd(), forms={"elementwise": ({}, X)}),
    "maxpool": Case(
        st.fixed_dictionaries({"kernel": ints(2, 3), "ceil_mode": st.booleans(), "return_indices": st.booleans()}),
        _nd(), forms={"2x2": ({}, X),
                      "ceil_indices": ({"kernel": 3, "stride": 2, "ceil_mode": True, "return_indices": True},
                                       [sq(4, 9)])}),
    "avgpool": Case(st.fixed_dictionaries({"kernel": ints(2, 3), "ceil_mode": st.booleans()}), _nd(),
                    forms={"2x2": ({}, X),
                           "ceil_padded": ({"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [sq(4, 9)])}),
    "adaptive_avgpool": Case(ints(1, 4).map(lambda s: {"size": s}), _nd(), forms={"bins": ({"size": [3, 2]}, X)}),
    "adaptive_maxpool": Case(ints(1, 4).map(lambda s: {"size": s}), _nd(), forms={"bins": ({"size": 3}, X)}),
    "global_avgpool": Case(st.just({}), _nd(), forms={"2d": ({}, X)}),
    "unpool": Case(st.just({"indices": "pool"}), _nd(),
                   forms={"odd_size": ({"indices": "pool"}, [sq(4, 9)])},
                   prelude={"pool": {"block": "maxpool", "from": "x0", "return_indices": True, "ceil_mode": True}},
                   sources=["pool"]),
    "resize": Case(st.one_of(st.just({"like": "x1", "mode": "nearest"}),
                             st.sampled_from([0.5, 2, 1.5]).map(lambda f: {"scale": f}),
                             ints(3, 9).map(lambda s: {"size": s, "mode": "nearest"})),
                   shapes_2d(ints(1, 4), n=2, same=False),
                   forms={"scale": ({"scale": 2}, [sq(4, 5), sq(1, 3)]),
                          "size_nearest": ({"size": [7, 9], "mode": "nearest"}, [sq(4, 5), sq(1, 3)]),
                          "like_aligned": ({"like": "x1", "align_corners": True}, [sq(4, 5), sq(1, 11)])},
                   sources=["x0"]),
    "concat": Case(st.just({}), st.tuples(ints(4, 10), ints(1, 3), ints(1, 3)).map(
        lambda t: [Shape(t[1], (t[0], t[0])), Shape(t[2], (t[0], t[0]))]), forms={"two": ({}, [sq(2, 6), sq(3, 6)])}),
    "add": Case(st.just({}), shapes_2d(ints(1, 4), n=3),
                forms={"three": ({}, [sq(4, 6)] * 3), "broadcast": ({}, [sq(4, 6), sq(4, 1)])}),
    "mul": Case(st.just({}), st.tuples(ints(1, 4), ints(3, 9)).map(
        lambda t: [Shape(t[0], (t[1], t[1])), Shape(t[0], (1, 1))]), forms={"gate": ({}, [sq(4, 6), sq(4, 1)])}),
    "split": Case(st.sampled_from([{"sizes": [1, 3]}, {"parts": 2}, {"parts": 4}]), shapes_2d(st.just(4)),
                  forms={"sizes": ({"sizes": [1, 3]}, X), "parts": ({"parts": 2}, X)}),
    "slice": Case(st.sampled_from([{"start": 1, "stop": 3}, {"start": 0, "stop": 1}, {"start": 2}]),
                  shapes_2d(st.just(4)), forms={"range": ({"start": 1, "stop": 3}, X)}),
    "pad_channels": Case(ints(3, 8).map(lambda c: {"out": c}), shapes_2d(ints(1, 3)), forms={"to_7": ({"out": 7}, X)}),
    "crop": Case(st.just({"like": "x1"}), st.tuples(ints(1, 3), ints(6, 12), ints(1, 6)).map(
        lambda t: [Shape(t[0], (t[1], t[1])), Shape(1, (t[1] - t[2], t[1] - t[2] + 1))]),
        forms={"like": ({"like": "x1"}, [sq(4, 9), sq(1, 6)])}, sources=["x0"]),
    "dropout": Case(st.just({"p": 0.0}), _nd(), forms={"p_half": ({"p": 0.5}, X)}),
    "dropout2d": Case(st.just({"p": 0.0}), _nd(), forms={"p_half": ({"p": 0.5}, X)}),
    "identity": Case(st.just({}), _nd(), forms={"2d": ({}, X)}),
}
