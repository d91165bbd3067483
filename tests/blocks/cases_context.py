"""Contract cases for the context modules: DeepLab's ASPP (v2 / v3) and its conv unit,
the DeepLab v3+ decoder, PSPNet's pyramid pooling (and its pooling step), FastFCN's JPU
and DenseASPP (and its layer)."""
from __future__ import annotations

from hypothesis import strategies as st

from segkit import Shape

from .contract import Case, shapes_2d

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
                      _rank_1_to_3(ints(1, 6), ints(2, 8))),
    "aspp": Case(st.sampled_from(["v3", "v2"]).flatmap(_aspp), shapes_2d(ints(1, 6), size=ints(2, 12))),
    "deeplabv3plus_decoder": Case(
        st.fixed_dictionaries({"low_out": ints(1, 6), "out": ints(1, 6), "convs": ints(0, 2),
                               "separable": st.booleans(), "align_corners": st.booleans()}),
        _pyramid(3).map(lambda s: [s[2], s[0]])),
    "ppm_pool": Case(st.fixed_dictionaries({"size": ints(1, 4), "pooling": st.sampled_from(["avg", "max"])}),
                     _rank_1_to_3(ints(1, 6), ints(4, 9))),
    "ppm": Case(_ppm_params(), shapes_2d(ints(1, 8), size=ints(4, 12))),
    "jpu": Case(st.fixed_dictionaries({"width": ints(1, 4),
                                       "dilations": st.lists(ints(1, 4), min_size=1, max_size=4),
                                       "align_corners": st.booleans()}),
                ints(2, 3).flatmap(_pyramid)),
    "dense_aspp_layer": Case(st.fixed_dictionaries({"mid": ints(1, 6), "growth": ints(1, 4), "dilation": ints(1, 4),
                                                    "dropout": st.sampled_from([0.0, 0.1]),
                                                    "norm_first": st.booleans()}),
                             shapes_2d(ints(1, 6), size=ints(2, 12))),
    "dense_aspp": Case(st.fixed_dictionaries({"rates": st.lists(ints(1, 4), min_size=1, max_size=3),
                                              "mid": ints(1, 6), "growth": ints(1, 4),
                                              "dropout": st.sampled_from([0.0, 0.1]),
                                              "first_norm": st.booleans()}),
                       shapes_2d(ints(1, 6), size=ints(2, 12))),
}
