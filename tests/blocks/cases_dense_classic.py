"""Contract cases for the DenseNet / FC-DenseNet blocks, the classic units (VGG stage,
MobileNetV2 inverted residual, aligned-Xception units) and EncNet's context encoding."""
from __future__ import annotations

from hypothesis import strategies as st

from segkit import Shape

from .contract import Case, shapes_2d, sq

ints = st.integers
DROPOUT = st.sampled_from([0.0, 0.2])


def _rank_1_to_3(channels):
    """One input of rank 1, 2 or 3 with small sizes."""
    return st.tuples(channels, ints(1, 3), ints(1, 6)).flatmap(
        lambda t: st.lists(ints(1, 8 if t[1] == 3 else 12), min_size=t[1], max_size=t[1]).map(
            lambda sizes, c=t[0]: [Shape(c, tuple(sizes))]))


def _upsample_pair():
    """[x, skip]: x at half the skip's size (rounded down or up), as after a 2x2 pool."""
    return st.tuples(ints(1, 6), ints(1, 6), ints(2, 16), ints(2, 16), st.booleans()).map(
        lambda t: [Shape(t[0], tuple((s + 1) // 2 if t[4] else s // 2 for s in t[2:4])),
                   Shape(t[1], t[2:4])])


CASES = {
    "densenet_layer": Case(st.fixed_dictionaries({"growth": ints(1, 6), "dropout": DROPOUT,
                                                  "dilation": ints(1, 2), "bias": st.booleans()}),
                           shapes_2d(ints(1, 8)),
        forms={"dropout": ({"growth": 3, "dropout": 0.2}, [sq(4, 8)]),
               "dilated_no_bias": ({"growth": 3, "dilation": 2, "bias": False, "dropout": 0.0}, [sq(4, 8)])}),
    "densenet_bottleneck_layer": Case(st.fixed_dictionaries({"growth": ints(1, 4), "bn_size": ints(1, 4),
                                                             "dilation": ints(1, 2), "dropout": DROPOUT}),
                                      shapes_2d(ints(1, 8)),
        forms={"bottleneck": ({"growth": 3, "bn_size": 2, "dropout": 0.2}, [sq(4, 8)])}),
    "densenet_transition": Case(st.fixed_dictionaries({"out": st.sampled_from([None, 1, 3, 5]),
                                                       "pool": st.booleans()}),
                                shapes_2d(ints(2, 8), size=ints(2, 16)),
        forms={"halve_pool": ({}, [sq(6, 8)]), "no_pool": ({"out": 3, "pool": False}, [sq(6, 8)])}),
    "dense_block": Case(st.fixed_dictionaries({"layers": ints(1, 4), "growth": ints(1, 4),
                                               "keep_input": st.booleans(), "bottleneck": st.booleans(),
                                               "bn_size": ints(1, 2), "dilation": ints(1, 2),
                                               "dropout": st.sampled_from([None, 0.0, 0.2])}),
                        shapes_2d(ints(1, 8)),
        forms={"with_input": ({"layers": 3, "growth": 2}, [sq(4, 8)]),
               "new_maps_only": ({"layers": 3, "growth": 2, "keep_input": False, "dropout": 0.2}, [sq(4, 8)]),
               "bottleneck_dilated": ({"layers": 2, "growth": 2, "bottleneck": True, "bn_size": 2, "dilation": 2},
                                      [sq(4, 8)])}),
    "transition_down": Case(st.fixed_dictionaries({"dropout": DROPOUT, "bias": st.booleans()}),
                            shapes_2d(ints(1, 8), size=ints(2, 16)),
        forms={"dropout": ({}, [sq(4, 8)]), "plain": ({"dropout": 0.0, "bias": False}, [sq(4, 9)])}),
    "transition_up": Case(st.fixed_dictionaries({"out": st.sampled_from([None, 1, 4]), "bias": st.booleans()}),
                          _upsample_pair(),
        forms={"odd_skip": ({}, [sq(3, 4), sq(2, 9)]), "even_skip_out": ({"out": 4}, [sq(3, 4), sq(2, 8)])}),
    "vgg_stage": Case(st.fixed_dictionaries({"out": ints(1, 6), "convs": ints(1, 3), "bn": st.booleans(),
                                             "pool": st.booleans(), "ceil_mode": st.booleans(),
                                             "dilation": ints(1, 2)}),
                      shapes_2d(ints(1, 6), size=ints(2, 16)),
        forms={"plain": ({"out": 4}, [sq(3, 9)]),
               "bn_ceil_dilated": ({"out": 4, "convs": 3, "bn": True, "ceil_mode": True, "dilation": 2}, [sq(3, 9)]),
               "no_pool": ({"out": 4, "convs": 1, "pool": False}, [sq(3, 9)])}),
    "inverted_residual": Case(st.fixed_dictionaries({"out": st.sampled_from([4, 6]),
                                                     "expand": st.sampled_from([1, 2, 6, 1.5]),
                                                     "stride": ints(1, 2), "dilation": ints(1, 2)}),
                              shapes_2d(st.sampled_from([4, 6])),
        forms={"expand1": ({"out": 4, "expand": 1}, [sq(4, 8)]),
               "residual": ({"out": 4, "expand": 6}, [sq(4, 8)]),
               "strided_dilated": ({"out": 6, "expand": 6, "stride": 2, "dilation": 2}, [sq(4, 8)])}),
    "xception_sepconv": Case(st.fixed_dictionaries({"out": ints(1, 6), "stride": ints(1, 2), "dilation": ints(1, 2),
                                                    "relu": st.sampled_from(["before", "within", "none"])}),
                             shapes_2d(ints(1, 6)),
        forms={"relu_before": ({"out": 4}, [sq(3, 8)]),
               "relu_within_strided": ({"out": 4, "relu": "within", "stride": 2, "dilation": 2}, [sq(3, 8)]),
               "no_relu": ({"out": 4, "relu": "none"}, [sq(3, 8)])}),
    "xception_entry": Case(st.fixed_dictionaries({"out": ints(1, 6), "stride": ints(1, 2), "dilation": ints(1, 2),
                                                  "start_with_relu": st.booleans()}),
                           shapes_2d(ints(1, 6)),
        forms={"strided": ({"out": 4}, [sq(3, 8)]),
               "stem_dilated": ({"out": 4, "stride": 1, "dilation": 2, "start_with_relu": False}, [sq(3, 8)])}),
    "xception_middle": Case(st.fixed_dictionaries({"dilation": ints(1, 2)}), shapes_2d(ints(1, 6)),
        forms={"plain": ({}, [sq(4, 8)]), "dilated": ({"dilation": 2}, [sq(4, 8)])}),
    "xception_exit": Case(st.fixed_dictionaries({"widths": st.lists(ints(1, 6), min_size=3, max_size=3),
                                                 "stride": ints(1, 2), "dilation": ints(1, 2)}),
                          shapes_2d(ints(1, 6)),
        forms={"strided": ({"widths": [4, 6, 6]}, [sq(3, 8)]),
               "dilated": ({"widths": [4, 6, 6], "stride": 1, "dilation": 2}, [sq(3, 8)])}),
    "context_encoding": Case(st.fixed_dictionaries({"num_classes": ints(1, 5), "codes": ints(1, 8),
                                                    "se_loss": st.booleans(), "conv": st.booleans()}),
                             _rank_1_to_3(ints(1, 8)),
        forms={"se_loss": ({"num_classes": 3, "codes": 4}, [sq(6, 8)]),
               "no_se_loss_no_conv": ({"num_classes": 3, "codes": 4, "se_loss": False, "conv": False}, [sq(6, 8)])}),
}
