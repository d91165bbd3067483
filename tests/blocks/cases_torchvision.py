"""Contract cases for the blocks of torchvision's MobileNetV3 / LR-ASPP models:
mobilenetv3_conv, mobilenetv3_se, mobilenetv3_block, the mobilenetv3 backbone (on a
small config table, so the case stays quick) and lraspp_head."""
from __future__ import annotations

from hypothesis import strategies as st

from segkit import Shape

from .contract import Case, shapes_2d, sq

ints = st.integers
acts = st.sampled_from(["relu", "hardswish"])


def _conv_params(channels: int):
    """mobilenetv3_conv on ``channels`` inputs: plain, or depthwise (groups = channels)."""
    return st.fixed_dictionaries({
        "kernel": st.sampled_from([1, 3, 5]), "stride": ints(1, 2), "dilation": ints(1, 2),
        "act": st.sampled_from(["hardswish", "relu", "none"]), "depthwise": st.booleans(), "out": ints(1, 6),
    }).map(lambda p: {**{k: v for k, v in p.items() if k != "depthwise"},
                      **({"groups": channels, "out": channels} if p["depthwise"] else {})})


_row = st.tuples(st.sampled_from([3, 5]), ints(4, 16), ints(4, 12), st.booleans(), acts)


def _table():
    """A small bneck table: stride 1 first, then four stride-2 units (nominal strides
    4, 8, 16, 32 after the stem), with random widths, kernels, SE and activations."""
    return st.lists(_row, min_size=5, max_size=5).map(
        lambda rows: [[k, e, o, se, a, 1 if n == 0 else 2] for n, (k, e, o, se, a) in enumerate(rows)])


CASES = {
    "mobilenetv3_conv": Case(_conv_params(6), shapes_2d(st.just(6), size=ints(3, 12)),
        forms={"hardswish": ({"out": 4, "stride": 2}, [sq(6, 8)]),
               "depthwise_relu": ({"out": 6, "groups": 6, "kernel": 5, "dilation": 2, "act": "relu"}, [sq(6, 8)]),
               "linear": ({"out": 4, "kernel": 1, "act": "none"}, [sq(6, 8)])}),
    "mobilenetv3_se": Case(st.fixed_dictionaries({"reduction": ints(1, 4), "divisor": st.sampled_from([1, 4, 8])}),
                           shapes_2d(ints(1, 40), size=ints(1, 8)),
        forms={"divisible": ({}, [sq(16, 5)])}),
    "mobilenetv3_block": Case(st.fixed_dictionaries({
        "out": ints(1, 8), "expand": ints(1, 12), "kernel": st.sampled_from([3, 5]), "stride": ints(1, 2),
        "dilation": ints(1, 2), "se": st.booleans(), "act": acts}), shapes_2d(ints(1, 8), size=ints(2, 12)),
        forms={"residual": ({"out": 4, "expand": 4}, [sq(4, 8)]),
               "se_hardswish_strided": ({"out": 6, "expand": 12, "kernel": 5, "stride": 2, "se": True,
                                         "act": "hardswish"}, [sq(4, 8)]),
               "dilated": ({"out": 6, "expand": 8, "dilation": 2}, [sq(4, 8)])}),
    "mobilenetv3": Case(st.fixed_dictionaries({
        "variant": st.sampled_from(["large", "small"]), "output_stride": st.sampled_from([8, 16, 32]),
        "stem": ints(2, 8), "table": _table()}).map(
        lambda p: {"variant": p["variant"], "output_stride": p["output_stride"], "stem": p["stem"],
                   p["variant"]: p["table"]}),
        shapes_2d(st.just(3), size=ints(16, 40)),
        forms={"small_os8": ({"variant": "small", "output_stride": 8, "stem": 4,
                                "small": [[3, 8, 4, True, "relu", 1], [3, 8, 6, False, "relu", 2],
                                          [5, 12, 6, True, "hardswish", 2], [3, 12, 8, False, "hardswish", 2],
                                          [5, 16, 8, True, "hardswish", 2]]}, [sq(3, 32)])}),
    "lraspp_head": Case(st.fixed_dictionaries({"num_classes": ints(1, 4), "inter": ints(1, 8)}),
                        st.tuples(ints(1, 6), ints(1, 6), ints(1, 8), ints(0, 3)).map(
                            lambda t: [Shape(t[0], (2 * t[2] + t[3], 2 * t[2])), Shape(t[1], (t[2], t[2]))]),
        forms={"two_scales": ({"num_classes": 3, "inter": 4}, [sq(3, 8), sq(4, 4)])}),
}
