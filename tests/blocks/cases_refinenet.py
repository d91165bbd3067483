"""Contract cases for the RefineNet blocks, the ResNet units and conv_bn_act."""
from __future__ import annotations

from hypothesis import strategies as st

from segkit import Shape

from .contract import Case, shapes_2d, sq

ints = st.integers


def _pyramid(n: int):
    """``n`` inputs, finest first, each half the size of the previous one."""
    return st.tuples(ints(2, 6), ints(8, 16), st.lists(ints(1, 6), min_size=n, max_size=n)).map(
        lambda t: [Shape(c, (max(1, t[1] >> k),) * 2) for k, c in enumerate(t[2])])


CASES = {
    "conv_bn_act": Case(st.fixed_dictionaries({"out": ints(1, 6), "stride": ints(1, 2), "dilation": ints(1, 2),
                                               "norm": st.sampled_from(["bn", "gn", "none"]),
                                               "act": st.sampled_from(["relu", "prelu", "none"])}).map(
        lambda p: {**p, "out": p["out"] * 2} if p["norm"] == "gn" else p), shapes_2d(ints(1, 4)),
        forms={"bn_relu": ({"out": 4}, [sq(3, 8)]),
               "gn_prelu_strided": ({"out": 32, "stride": 2, "norm": "gn", "act": "prelu"}, [sq(3, 8)]),
               "plain_dilated": ({"out": 4, "dilation": 2, "norm": "none", "act": "none"}, [sq(3, 8)])}),
    "rcu": Case(st.fixed_dictionaries({"bias": st.sampled_from(["first", "both", "none"]),
                                       "out": st.sampled_from([None, 3])}), shapes_2d(ints(1, 5)),
        forms={"keep_width": ({}, [sq(4, 8)]), "width_change": ({"out": 3, "bias": "both"}, [sq(4, 8)])}),
    "crp": Case(st.fixed_dictionaries({"stages": ints(1, 4), "order": st.sampled_from(["pool_conv", "conv_pool"]),
                                       "bias": st.booleans()}), shapes_2d(ints(1, 5)),
        forms={"pool_conv": ({"stages": 2}, [sq(4, 8)]),
               "conv_pool": ({"stages": 2, "order": "conv_pool", "bias": True, "relu": False}, [sq(4, 8)])}),
    "mrf": Case(ints(1, 3).flatmap(lambda n: st.tuples(st.just(n), ints(1, 6))).map(
        lambda t: {"features": t[1], "_n": t[0]}).map(lambda p: {"features": p["features"]}),
        ints(1, 3).flatmap(_pyramid),
        forms={"one_path": ({}, [sq(4, 8)]), "three_paths": ({}, [sq(4, 8), sq(6, 4), sq(5, 2)]),
               "coarse_target": ({"target": 1, "features": 3, "mode": "nearest"}, [sq(4, 4), sq(6, 8)])}),
    "refinenet": Case(st.fixed_dictionaries({"features": ints(2, 6), "crp_stages": ints(1, 3),
                                             "out_rcus": ints(0, 2), "adapt_rcus": ints(0, 2)}),
                      ints(1, 3).flatmap(_pyramid),
        forms={"one_path": ({"features": 4, "crp_stages": 2}, [sq(6, 4)]),
               "two_paths": ({"features": 4, "crp_stages": 2, "adapt": [True, False], "out_rcus": 2},
                             [sq(6, 8), sq(4, 4)]),
               "conv_pool_no_dimred": ({"features": 4, "dimred": False, "crp_order": "conv_pool",
                                        "adapt_rcus": 1, "out_rcus": 0}, [sq(4, 8), sq(4, 4)])}),
    "resnet_basic": Case(st.fixed_dictionaries({"planes": ints(1, 6), "stride": ints(1, 2), "dilation": ints(1, 2)}),
                         shapes_2d(ints(1, 6)),
        forms={"identity": ({"planes": 4}, [sq(4, 8)]),
               "strided_projection": ({"planes": 6, "stride": 2}, [sq(4, 8)])}),
    "resnet_bottleneck": Case(st.fixed_dictionaries({"planes": ints(1, 4), "stride": ints(1, 2),
                                                     "dilation": ints(1, 2)}), shapes_2d(ints(1, 8)),
        forms={"projection": ({"planes": 2}, [sq(4, 8)]),
               "strided_dilated": ({"planes": 2, "stride": 2, "dilation": 2}, [sq(8, 8)])}),
    "resnet_stage": Case(st.fixed_dictionaries({"blocks": ints(1, 3), "planes": ints(1, 4), "stride": ints(1, 2),
                                                "dilation": ints(1, 2), "multi_grid": st.sampled_from([[1], [1, 2]]),
                                                "unit": st.sampled_from(["resnet_bottleneck", "resnet_basic"])}),
                         shapes_2d(ints(1, 8)),
        forms={"multi_grid": ({"blocks": 3, "planes": 2, "dilation": 2, "multi_grid": [1, 2, 4]},
                             [sq(4, 8)]),
               "basic_strided": ({"blocks": 2, "planes": 4, "stride": 2, "unit": "resnet_basic"}, [sq(4, 8)])}),
    "resnet": Case(st.fixed_dictionaries({"depth": st.sampled_from([18, 50]), "width": st.sampled_from([4, 8]),
                                          "layers": st.just([1, 1, 1, 1]),
                                          "output_stride": st.sampled_from([8, 16, 32]),
                                          "stem": st.sampled_from(["standard", "deep"])}),
                   shapes_2d(st.just(3), size=ints(16, 40)),
        forms={"resnet18": ({"depth": 18, "width": 4, "layers": [1, 1, 1, 1]}, [sq(3, 32)]),
               "resnet50_deep_stem_os8": ({"depth": 50, "width": 4, "layers": [1, 1, 1, 1], "output_stride": 8,
                                           "stem": "deep", "multi_grid": [1, 2, 4]}, [sq(3, 32)])}),
}
