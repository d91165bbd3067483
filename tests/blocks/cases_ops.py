"""Contract cases for the primitive ops (segkit/ops)."""
from __future__ import annotations

from hypothesis import strategies as st

from segkit import Shape

from .contract import Case, shapes_2d


def _nd(channels=st.integers(1, 6), rank=st.integers(1, 3), size=st.integers(6, 14), n: int = 1):
    return st.tuples(channels, rank, size).map(lambda t: [Shape(t[0], (t[2],) * t[1])] * n)


ints = st.integers
CASES = {
    "conv": Case(st.fixed_dictionaries({"out": ints(1, 6), "kernel": ints(1, 3), "stride": ints(1, 2),
                                        "dilation": ints(1, 2), "bias": st.booleans(),
                                        "padding": st.sampled_from(["auto", 0, 1])}), _nd()),
    "conv_transpose": Case(st.fixed_dictionaries({"out": ints(1, 6), "kernel": ints(1, 4), "stride": ints(1, 3),
                                                  "padding": ints(0, 1), "dilation": ints(1, 2)}), _nd()),
    "sepconv": Case(st.fixed_dictionaries({"out": ints(1, 6), "dilation": ints(1, 3), "stride": ints(1, 2),
                                           "mid_norm": st.sampled_from(["none", "bn"]),
                                           "mid_act": st.sampled_from(["none", "relu"])}), _nd()),
    "bn": Case(st.just({}), _nd()),
    "gn": Case(st.sampled_from([1, 2]).map(lambda g: {"groups": g}), _nd(channels=st.sampled_from([2, 4, 6]))),
    "in": Case(st.fixed_dictionaries({"affine": st.booleans()}), _nd()),
    "act": Case(st.fixed_dictionaries({"kind": st.sampled_from(["relu", "relu6", "leaky_relu", "prelu", "elu", "gelu",
                                                                "silu", "tanh", "sigmoid", "hardswish"])}), _nd()),
    "softmax": Case(st.just({}), _nd()),
    "sigmoid": Case(st.just({}), _nd()),
    "maxpool": Case(st.fixed_dictionaries({"kernel": ints(2, 3), "ceil_mode": st.booleans(),
                                           "return_indices": st.booleans()}), _nd()),
    "avgpool": Case(st.fixed_dictionaries({"kernel": ints(2, 3), "ceil_mode": st.booleans()}), _nd()),
    "adaptive_avgpool": Case(ints(1, 4).map(lambda s: {"size": s}), _nd()),
    "adaptive_maxpool": Case(ints(1, 4).map(lambda s: {"size": s}), _nd()),
    "global_avgpool": Case(st.just({}), _nd()),
    "unpool": Case(st.just({"indices": "pool"}), _nd(),
                   prelude={"pool": {"block": "maxpool", "from": "x0", "return_indices": True, "ceil_mode": True}},
                   sources=["pool"]),
    "resize": Case(st.one_of(st.just({"like": "x1", "mode": "nearest"}),
                             st.sampled_from([0.5, 2, 1.5]).map(lambda f: {"scale": f}),
                             ints(3, 9).map(lambda s: {"size": s, "mode": "nearest"})),
                   shapes_2d(ints(1, 4), n=2, same=False), sources=["x0"]),
    "concat": Case(st.just({}), st.tuples(ints(4, 10), ints(1, 3), ints(1, 3)).map(
        lambda t: [Shape(t[1], (t[0], t[0])), Shape(t[2], (t[0], t[0]))])),
    "add": Case(st.just({}), shapes_2d(ints(1, 4), n=3)),
    "mul": Case(st.just({}), st.tuples(ints(1, 4), ints(3, 9)).map(
        lambda t: [Shape(t[0], (t[1], t[1])), Shape(t[0], (1, 1))])),
    "split": Case(st.sampled_from([{"sizes": [1, 3]}, {"parts": 2}, {"parts": 4}]), shapes_2d(st.just(4))),
    "slice": Case(st.sampled_from([{"start": 1, "stop": 3}, {"start": 0, "stop": 1}, {"start": 2}]),
                  shapes_2d(st.just(4))),
    "pad_channels": Case(ints(3, 8).map(lambda c: {"out": c}), shapes_2d(ints(1, 3))),
    "crop": Case(st.just({"like": "x1"}), st.tuples(ints(1, 3), ints(6, 12), ints(1, 6)).map(
        lambda t: [Shape(t[0], (t[1], t[1])), Shape(1, (t[1] - t[2], t[1] - t[2] + 1))]), sources=["x0"]),
    "dropout": Case(st.just({"p": 0.0}), _nd()),
    "dropout2d": Case(st.just({"p": 0.0}), _nd()),
    "identity": Case(st.just({}), _nd()),
}
