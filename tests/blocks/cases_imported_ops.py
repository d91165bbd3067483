"""Contract cases for the ops that imported networks need (segkit/ops/padding.py,
channel_norm.py, residual.py)."""
from __future__ import annotations

from hypothesis import strategies as st

from .contract import Case, sq

ints = st.integers
X = [sq(4, 8)]
CASES = {
    "pad_same": Case(
        st.fixed_dictionaries({"kernel": ints(1, 5), "stride": ints(1, 3), "dilation": ints(1, 2),
                               "value": st.sampled_from([0.0, float("-inf")])}),
        st.tuples(ints(1, 4), ints(1, 3), ints(3, 13)).map(lambda t: [sq(t[0], t[2], t[1])]),
        forms={"conv_3x3_s2": ({"kernel": 3, "stride": 2}, [sq(4, 9)]),
               "maxpool_3x3_s2": ({"kernel": 3, "stride": 2, "value": float("-inf")}, X),
               "dilated_1d": ({"kernel": 3, "dilation": 2}, [sq(2, 7, 1)])}),
    "ln2d": Case(st.fixed_dictionaries({"affine": st.booleans(), "eps": st.sampled_from([1e-6, 1e-5])}),
                 st.tuples(ints(1, 6), ints(1, 3)).map(lambda t: [sq(t[0], 5, t[1])]),
                 forms={"2d": ({}, X), "no_bias": ({"bias": False}, X)}),
    "grn": Case(st.just({}), st.tuples(ints(1, 6), ints(1, 3)).map(lambda t: [sq(t[0], 4, t[1])]),
                forms={"2d": ({}, X)}),
    "layer_scale": Case(st.fixed_dictionaries({"init": st.sampled_from([1e-6, 0.5])}),
                        st.tuples(ints(1, 6), ints(1, 3)).map(lambda t: [sq(t[0], 4, t[1])]),
                        forms={"2d": ({"init": 0.1}, X)}),
    "drop_path": Case(st.fixed_dictionaries({"p": st.sampled_from([0.0, 0.2])}),
                      st.tuples(ints(1, 6), ints(1, 3)).map(lambda t: [sq(t[0], 4, t[1])]),
                      forms={"p0.2": ({"p": 0.2}, X)}),
}
