"""Contract cases for the blocks of efficient real-time networks: ENet's initial block
and bottlenecks, ESPNet's ESP module, ICNet's cascade feature fusion and
squeeze-and-excitation."""
from __future__ import annotations

from hypothesis import strategies as st

from segkit import Shape

from .contract import Case, shapes_2d, sq

ints = st.integers

# The upsampling bottleneck unpools with the indices of a downsampling bottleneck placed
# before it; the other kinds ignore that node (pruned as unused) and read x0. A params
# dict's "from" overrides the case's sources (one_node_spec spreads params after it).
_DOWN = {"down": {"block": "enet_bottleneck", "kind": "downsampling", "from": "x0", "out": 8, "dropout": 0.0}}
_common = {"act": st.sampled_from(["prelu", "relu"]), "dropout": st.sampled_from([0.0, 0.1]),
           "bias": st.booleans(), "ratio": st.sampled_from([1, 2, 4])}
_enet_up = st.fixed_dictionaries({"kind": st.just("upsampling"), "out": st.just("${channels('x0')}"),
                                  "from": st.just(["down", "down.indices"]), **_common})
_enet_kinds = st.one_of(
    st.fixed_dictionaries({"kind": st.just("regular"), "out": st.sampled_from([None, 4, 8]),
                           "shortcut": st.sampled_from(["pad", "conv"]), **_common}),
    st.fixed_dictionaries({"kind": st.just("dilated"), "dilation": ints(1, 3), "out": st.sampled_from([None, 6]),
                           **_common}),
    st.fixed_dictionaries({"kind": st.just("asymmetric"), "asymmetric": st.sampled_from([3, 5]),
                           "out": st.sampled_from([None, 8]), **_common}),
    st.fixed_dictionaries({"kind": st.just("downsampling"), "out": ints(4, 8), **_common}),
    _enet_up, _enet_up,  # twice as often: the form with the most parts
)


def _cff_inputs():
    """[low-res F1, high-res F2]: F2 twice F1's size, or one less (Caffe's zoom)."""
    return st.tuples(ints(1, 6), ints(1, 6), ints(2, 8), st.sampled_from([0, 1])).map(
        lambda t: [Shape(t[0], (t[2], t[2] + 1)), Shape(t[1], (2 * t[2] - t[3], 2 * t[2] + 2 - t[3]))])


def _dilations(k: int):
    return st.one_of(st.none(), st.lists(ints(1, 4), min_size=k, max_size=k))


CASES = {
    "enet_initial": Case(st.fixed_dictionaries({"out": ints(4, 8), "pool": st.sampled_from([2, 3]),
                                                "bias": st.booleans(),
                                                "act": st.sampled_from(["prelu", "relu", "none"])}),
                         shapes_2d(ints(1, 3), size=ints(1, 8).map(lambda s: 2 * s)),
        forms={"pool2": ({}, [sq(3, 8)]),
               "pool3_odd_relu": ({"out": 8, "pool": 3, "bias": False, "act": "relu"}, [sq(3, 9)])}),
    "enet_bottleneck": Case(_enet_kinds, shapes_2d(ints(2, 8), size=ints(2, 13)), prelude=_DOWN,
        forms={"regular": ({"dropout": 0.1}, [sq(8, 8)]),
               "regular_conv_shortcut": ({"out": 4, "shortcut": "conv", "act": "relu"}, [sq(8, 8)]),
               "dilated": ({"kind": "dilated", "dilation": 2}, [sq(8, 8)]),
               "asymmetric": ({"kind": "asymmetric", "asymmetric": 5}, [sq(8, 8)]),
               "downsampling": ({"kind": "downsampling", "out": 12}, [sq(8, 8)]),
               "upsampling": ({"kind": "upsampling", "out": 4, "from": ["down", "down.indices"], "act": "relu",
                               "dropout": 0.0}, [sq(4, 9)])}),
    "esp": Case(ints(1, 5).flatmap(lambda k: st.fixed_dictionaries({
        "branches": st.just(k), "dilations": _dilations(k), "out": st.sampled_from([None, 5, 8]),
        "stride": st.sampled_from([1, 2]), "residual": st.booleans(),
        "act": st.sampled_from(["prelu", "relu", "none"])})),
        shapes_2d(ints(2, 8), size=ints(3, 14)),
        forms={"residual": ({}, [sq(10, 8)]),
               "strided": ({"out": 10, "stride": 2}, [sq(3, 8)]),
               "width_change_relu": ({"out": 7, "branches": 3, "dilations": [1, 2, 2], "act": "relu"}, [sq(10, 8)])}),
    "cff": Case(st.fixed_dictionaries({"out": ints(1, 6), "num_classes": ints(1, 4), "aux": st.booleans(),
                                       "dilation": ints(1, 2), "align_corners": st.sampled_from([True, False, None]),
                                       "mode": st.sampled_from(["bilinear", "bilinear", "nearest"])}),
                _cff_inputs(),
        forms={"aux": ({"out": 4, "num_classes": 3}, [sq(3, 4), sq(2, 8)]),
               "no_aux_nearest": ({"out": 4, "aux": False, "mode": "nearest", "align_corners": None},
                                  [sq(3, 4), sq(2, 7)])}),
    "se": Case(st.fixed_dictionaries({"reduction": ints(1, 4), "act": st.sampled_from(["relu", "prelu", "silu"]),
                                      "gate": st.sampled_from(["sigmoid", "hardsigmoid"]), "bias": st.booleans()}),
               shapes_2d(ints(1, 8), size=ints(1, 12)),
        forms={"relu_sigmoid": ({"reduction": 4}, [sq(8, 5)]),
               "prelu_hardsigmoid_no_bias": ({"reduction": 2, "act": "prelu", "gate": "hardsigmoid", "bias": False},
                                             [sq(8, 5)]),
               "1d": ({"reduction": 4, "act": "silu"}, [sq(8, 5, 1)])}),
}
