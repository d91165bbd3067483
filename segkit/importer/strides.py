"""The stride of a feature map relative to the input, as backbones name it.

With padded convolutions the map at stride s of an input of n has n / s elements
exactly (at sizes divisible by s); networks with unpadded convs or ceil-mode pools
(SqueezeNet, Inception) lose or gain a pixel at each step, so n / s is only near a power
of two (224 -> 111 -> 55 -> 27 for strides 2, 4, 8). The nominal stride is what timm's
feature_info and segkit's ``c{log2 stride}`` names mean by it."""
from __future__ import annotations

import math


def nominal_stride(input_size: tuple[int, ...], spatial: tuple[int, ...]) -> int | None:
    """The stride of a map of ``spatial`` size from an input of ``input_size``: ``n / s``
    where it divides, else the power of two nearest it; None where the dims disagree,
    the ranks differ or a dim grew."""
    if len(spatial) != len(input_size) or not all(spatial):
        return None
    strides = {n // s if n % s == 0 else 2 ** round(math.log2(n / s)) for n, s in zip(input_size, spatial)}
    if len(strides) != 1:
        return None
    stride = strides.pop()
    return stride if stride >= 1 else None
