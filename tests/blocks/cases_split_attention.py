"""Contract case for ResNeSt's split attention (segkit/blocks/split_attention.py)."""
from __future__ import annotations

from hypothesis import strategies as st

from .contract import Case, sq

ints = st.integers

_params = st.fixed_dictionaries({
    "out": st.sampled_from([4, 8]), "kernel": st.sampled_from([1, 3]), "stride": ints(1, 2),
    "dilation": ints(1, 2), "groups": st.sampled_from([1, 2]), "radix": st.sampled_from([1, 2, 4]),
    "attn": st.sampled_from([None, 4, 8]), "bias": st.booleans(), "norm": st.sampled_from(["bn", "none"]),
    "act": st.sampled_from(["relu", "silu"])})
_inputs = st.tuples(st.sampled_from([8, 16]), ints(3, 9), ints(1, 3)).map(lambda t: [sq(t[0], t[1], t[2])])

CASES = {
    "split_attention": Case(_params, _inputs, forms={
        "resnest": ({"out": 16}, [sq(16, 8)]),
        "radix1_grouped": ({"out": 8, "radix": 1, "groups": 2, "attn": 8}, [sq(8, 6)]),
        "radix4_strided_3d": ({"out": 8, "radix": 4, "groups": 2, "stride": 2, "attn": 8, "norm": "none"},
                              [sq(16, 5, 3)]),
    }),
}
