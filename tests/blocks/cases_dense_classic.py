"""Contract cases for the DenseNet / FC-DenseNet blocks, the classic units (VGG stage,
MobileNetV2 inverted residual, aligned-Xception units) and EncNet's context encoding."""
from __future__ import annotations

from hypothesis import strategies as st

from segkit import Shape

from .contract import Case, shapes_2d

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
                           shapes_2d(ints(1, 8))),
    "densenet_bottleneck_layer": Case(st.fixed_dictionaries({"growth": ints(1, 4), "bn_size": ints(1, 4),
                                                             "dilation": ints(1, 2), "dropout": DROPOUT}),
                                      shapes_2d(ints(1, 8))),
    "densenet_transition": Case(st.fixed_dictionaries({"out": st.sampled_from([None, 1, 3, 5]),
                                                       "pool": st.booleans()}),
                                shapes_2d(ints(2, 8), size=ints(2, 16))),
    "dense_block": Case(st.fixed_dictionaries({"layers": ints(1, 4), "growth": ints(1, 4),
                                               "keep_input": st.booleans(), "bottleneck": st.booleans(),
                                               "bn_size": ints(1, 2), "dilation": ints(1, 2),
                                               "dropout": st.sampled_from([None, 0.0, 0.2])}),
                        shapes_2d(ints(1, 8))),
    "transition_down": Case(st.fixed_dictionaries({"dropout": DROPOUT, "bias": st.booleans()}),
                            shapes_2d(ints(1, 8), size=ints(2, 16))),
    "transition_up": Case(st.fixed_dictionaries({"out": st.sampled_from([None, 1, 4]), "bias": st.booleans()}),
                          _upsample_pair()),
    "vgg_stage": Case(st.fixed_dictionaries({"out": ints(1, 6), "convs": ints(1, 3), "bn": st.booleans(),
                                             "pool": st.booleans(), "ceil_mode": st.booleans(),
                                             "dilation": ints(1, 2)}),
                      shapes_2d(ints(1, 6), size=ints(2, 16))),
    "inverted_residual": Case(st.fixed_dictionaries({"out": st.sampled_from([4, 6]),
                                                     "expand": st.sampled_from([1, 2, 6, 1.5]),
                                                     "stride": ints(1, 2), "dilation": ints(1, 2)}),
                              shapes_2d(st.sampled_from([4, 6]))),
    "xception_sepconv": Case(st.fixed_dictionaries({"out": ints(1, 6), "stride": ints(1, 2), "dilation": ints(1, 2),
                                                    "relu": st.sampled_from(["before", "within", "none"])}),
                             shapes_2d(ints(1, 6))),
    "xception_entry": Case(st.fixed_dictionaries({"out": ints(1, 6), "stride": ints(1, 2), "dilation": ints(1, 2),
                                                  "start_with_relu": st.booleans()}),
                           shapes_2d(ints(1, 6))),
    "xception_middle": Case(st.fixed_dictionaries({"dilation": ints(1, 2)}), shapes_2d(ints(1, 6))),
    "xception_exit": Case(st.fixed_dictionaries({"widths": st.lists(ints(1, 6), min_size=3, max_size=3),
                                                 "stride": ints(1, 2), "dilation": ints(1, 2)}),
                          shapes_2d(ints(1, 6))),
    "context_encoding": Case(st.fixed_dictionaries({"num_classes": ints(1, 5), "codes": ints(1, 8),
                                                    "se_loss": st.booleans(), "conv": st.booleans()}),
                             _rank_1_to_3(ints(1, 8))),
}
