"""Contract cases for the context modules: DeepLab's ASPP (v2 / v3) and its conv unit,
the DeepLab v3+ decoder, PSPNet's pyramid pooling (and its pooling step), FastFCN's JPU
and DenseASPP (and its layer)."""
from __future__ import annotations

from hypothesis import strategies as st

from segkit import Shape

from .contract import Case, shapes_2d, sq

ints = st.integers


def _rank_1_to_3(channels, size=ints(1, 8)):
    """One input of rank 1, 2 or 3 with small sizes."""
    return st.tuples(channels, ints(1, 3)).flatmap(
        lambda t: st.lists(size, min_size=t[1], max_size=t[1]).map(lambda s, c=t[0]: [Shape(c, tuple(s))]))


def _pyramid(n: int):
    """``n`` inputs, finest first, each half the size of the previous one."""
    return st.tuples(ints(4, 16), st.lists(ints(1, 6), min_size=n, max_size=n)).map(
        lambda t: [Shape(c, (max(1, t[0] >> k),) * 2) for k, c in enumerate(t[1])])


def _aspp(version: str):
    n = 3 if version == "v3" else 4
    common = {"version": st.just(version), "out": ints(1, 6),
              "rates": st.lists(ints(1, 3), min_size=n, max_size=n),
              "output_stride": st.sampled_from([None, 8, 16] if version == "v3" else [None, 4, 8])}
    if version == "v3":
        common.update(separable=st.booleans(), image_pooling=st.sampled_from([None, True, False]),
                      dropout=st.sampled_from([0.0, 0.5]))
    return st.fixed_dictionaries(common)


def _ppm_params():
    return st.fixed_dictionaries({
        "bins": st.lists(ints(1, 4), min_size=1, max_size=4), "pooling": st.sampled_from(["avg", "max"]),
        "fusion": st.sampled_from(["concat", "sum"]), "convs": st.sampled_from([None, True, False]),
        "reduction": st.sampled_from([None, 1, 3]), "align_corners": st.booleans()}).map(
        lambda p: {**p, "reduction": None} if p["fusion"] == "sum" else p)


CASES = {
    "aspp_conv": Case(st.fixed_dictionaries({"out": ints(1, 6), "kernel": st.sampled_from([1, 3]),
                                             "dilation": ints(1, 3), "separable": st.booleans(),
                                             "mid_act": st.sampled_from(["relu", "none"])}),
                      _rank_1_to_3(ints(1, 6), ints(2, 8)),
        forms={"1x1": ({"out": 4, "kernel": 1}, [sq(4, 8)]), "atrous": ({"out": 4, "dilation": 2}, [sq(4, 8)]),
               "separable": ({"out": 4, "dilation": 2, "separable": True}, [sq(4, 8)]),
               "separable_no_mid_act": ({"out": 4, "separable": True, "mid_act": "none"}, [sq(4, 8)])}),
    "aspp": Case(st.sampled_from(["v3", "v2"]).flatmap(_aspp), shapes_2d(ints(1, 6), size=ints(2, 12)),
        forms={"v3": ({"out": 4, "rates": [1, 2, 3]}, [sq(4, 8)]),
               "v3_separable_os8": ({"out": 4, "rates": [1, 2, 3], "output_stride": 8, "separable": True},
                                    [sq(4, 8)]),
               "v3_no_pooling": ({"out": 4, "rates": [1, 2, 3], "image_pooling": False, "dropout": 0.0},
                                 [sq(4, 8)]),
               "v2": ({"version": "v2", "out": 3, "rates": [1, 2, 3, 4]}, [sq(4, 8)])}),
    "deeplabv3plus_decoder": Case(
        st.fixed_dictionaries({"low_out": ints(1, 6), "out": ints(1, 6), "convs": ints(0, 2),
                               "separable": st.booleans(), "align_corners": st.booleans()}),
        _pyramid(3).map(lambda s: [s[2], s[0]]),
        forms={"plain": ({"low_out": 2, "out": 4}, [sq(4, 3), sq(3, 10)]),
               "separable": ({"low_out": 2, "out": 4, "separable": True, "align_corners": False},
                             [sq(4, 3), sq(3, 10)])}),
    "ppm_pool": Case(st.fixed_dictionaries({"size": ints(1, 4), "pooling": st.sampled_from(["avg", "max"])}),
                     _rank_1_to_3(ints(1, 6), ints(4, 9)),
        forms={"avg": ({"size": [2, 3]}, [sq(4, 7)]), "max": ({"size": 3, "pooling": "max"}, [sq(4, 7)])}),
    "ppm": Case(_ppm_params(), shapes_2d(ints(1, 8), size=ints(4, 12)),
        forms={"concat_avg": ({"bins": [1, 2, 3, 6]}, [sq(4, 7)]),
               "sum_max": ({"bins": [1, 2, 3, 6], "fusion": "sum", "pooling": "max"}, [sq(4, 7)]),
               "concat_max_reduced": ({"bins": [1, 3], "pooling": "max", "reduction": 3, "align_corners": False},
                                      [sq(4, 7)]),
               "sum_avg_convs": ({"bins": [2, 4], "fusion": "sum", "convs": True}, [sq(4, 7)])}),
    "jpu": Case(st.fixed_dictionaries({"width": ints(1, 4),
                                       "dilations": st.lists(ints(1, 4), min_size=1, max_size=4),
                                       "align_corners": st.booleans()}),
                ints(2, 3).flatmap(_pyramid),
        forms={"three_stages": ({"width": 2}, [sq(3, 8), sq(4, 4), sq(5, 2)]),
               "two_stages": ({"width": 2, "dilations": [1, 2], "align_corners": False}, [sq(3, 8), sq(4, 4)])}),
    "dense_aspp_layer": Case(st.fixed_dictionaries({"mid": ints(1, 6), "growth": ints(1, 4), "dilation": ints(1, 4),
                                                    "dropout": st.sampled_from([0.0, 0.1]),
                                                    "norm_first": st.booleans()}),
                             shapes_2d(ints(1, 6), size=ints(2, 12)),
        forms={"norm_first": ({"mid": 4, "growth": 2}, [sq(4, 8)]),
               "conv_first": ({"mid": 4, "growth": 2, "norm_first": False, "dropout": 0.0}, [sq(4, 8)])}),
    "dense_aspp": Case(st.fixed_dictionaries({"rates": st.lists(ints(1, 4), min_size=1, max_size=3),
                                              "mid": ints(1, 6), "growth": ints(1, 4),
                                              "dropout": st.sampled_from([0.0, 0.1]),
                                              "first_norm": st.booleans()}),
                       shapes_2d(ints(1, 6), size=ints(2, 12)),
        forms={"five_rates": ({"rates": [1, 2, 3, 4, 5], "mid": 4, "growth": 2}, [sq(4, 8)]),
               "first_norm": ({"rates": [1, 2], "mid": 4, "growth": 2, "first_norm": True}, [sq(4, 8)])}),
}
