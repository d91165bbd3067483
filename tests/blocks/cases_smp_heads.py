"""Contract cases for the decoder blocks of the FPN and LinkNet specs."""
from __future__ import annotations

from hypothesis import strategies as st

from .contract import Case, shapes_2d, sq

ints = st.integers

CASES = {
    "fpn_conv": Case(st.fixed_dictionaries({"out": st.sampled_from([32, 64]), "upsample": st.booleans()}),
                     shapes_2d(ints(1, 8)),
                     forms={"upsample": ({"out": 32}, [sq(8, 8)]), "stride_4_level": ({"out": 32, "upsample": False},
                                                                                     [sq(8, 8)])}),
    "linknet_decoder": Case(st.fixed_dictionaries({"out": ints(1, 8)}), shapes_2d(ints(4, 16)),
                            forms={"decode": ({"out": 4}, [sq(16, 8)])}),
}
