"""The ``crf`` block: DeepLab's fully connected CRF as a spec output stage.

Krähenbühl & Koltun, "Efficient Inference in Fully Connected CRFs with Gaussian Edge
Potentials", NIPS 2011; used by Chen et al., "Semantic Image Segmentation with Deep
Convolutional Nets and Fully Connected CRFs" (DeepLab), ICLR 2015, and "DeepLab: ...
Atrous Convolution, and Fully Connected CRFs", TPAMI 2017.

Torch-free: the module is built by :mod:`segkit_crf.meanfield`, imported in ``build``.
"""
from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field

from segkit.plugin import POINTWISE, Block, Geometry, Inference, Params, Shape, expect, mismatch

NonNegInt = Annotated[int, Field(ge=0)]
PosInt = Annotated[int, Field(ge=1)]
NonNegFloat = Annotated[float, Field(ge=0)]
PosFloat = Annotated[float, Field(gt=0)]

DEFAULT_MAX_PIXELS = 128 * 128


class CRFParams(Params):
    """Defaults: DeepLab v1's CRF for DeepLab-CRF-LargeFOV on PASCAL VOC 2012 (Chen et al.,
    ICLR 2015: 10 mean-field iterations, w2 = 3 and theta_gamma = 3 as Krähenbühl &
    Koltun's defaults, w1, theta_alpha, theta_beta cross-validated; the released model's
    values are bi_w=4, bi_xy_std=121, bi_rgb_std=5, pos_w=3, pos_xy_std=3)."""

    iterations: NonNegInt = 10
    """Mean-field iterations (DeepLab: 10); 0 returns log_softmax(logits)."""
    w1: NonNegFloat = 4.0
    """Weight of the appearance (bilateral) kernel; DeepLab's bi_w."""
    theta_alpha: PosFloat = 121.0
    """Positional std of the appearance kernel, in pixels; DeepLab's bi_xy_std."""
    theta_beta: PosFloat = 5.0
    """Colour std of the appearance kernel, in 0..255 intensity units; DeepLab's bi_rgb_std."""
    w2: NonNegFloat = 3.0
    """Weight of the smoothness (positional) kernel; DeepLab's pos_w."""
    theta_gamma: PosFloat = 3.0
    """Positional std of the smoothness kernel, in pixels; DeepLab's pos_xy_std."""
    image_scale: PosFloat = 255.0
    """Factor taking the image input to 0..255 units: 255 for images in [0, 1] (segkit's
    datasets before normalisation), 1 for images in 0..255. Feed the un-normalised image."""
    spacing: PosFloat = 1.0
    """Distance between neighbouring pixels in the units of theta_alpha and theta_gamma:
    set it to the factor by which logits and image were downsampled, so the stds keep
    their meaning in original-image pixels."""
    max_pixels: PosInt = DEFAULT_MAX_PIXELS
    """Largest number of pixels per sample accepted. Exact inference costs
    iterations * pixels^2 * classes MACs (a 128x128 image with 21 classes: 5.6 GMACs per
    iteration); larger inputs are refused with a hint to downsample."""
    chunk: NonNegInt = 0
    """Rows of the pixels x pixels appearance kernel built at once. 0 (auto): the whole
    kernel, built once and reused by every iteration, when batch x pixels^2 <= 2^28
    elements (1 GiB in float32), else chunks of 2^24 elements rebuilt in each iteration
    (slower). A chunk of at least pixels rows also means "build once". Affects memory
    and time only, not the result (beyond float rounding) nor the MACs."""


def settings(p: CRFParams) -> dict:
    """The keyword arguments of :func:`segkit_crf.meanfield.dense_crf` for ``p``."""
    return p.model_dump()


def crf_macs(p: CRFParams, classes: int, spatial: tuple[int, ...]) -> int:
    """Multiply-accumulates of one sample: per iteration, the dense appearance message
    N^2 C and the separable smoothness message C N S_d per spatial dim."""
    n = math.prod(spatial)
    return p.iterations * classes * n * (n + sum(spatial))


class CRF(Block):
    """Fully connected CRF (Krähenbühl & Koltun, NIPS 2011) on logits and image, as
    DeepLab post-processes its score maps (Chen et al., ICLR 2015 / TPAMI 2017): exact
    mean-field inference with a Gaussian appearance kernel (position + colour) and a
    Gaussian smoothness kernel (position), Potts compatibility. Inputs: logits (C x *S)
    and the un-normalised image (K x *S, usually RGB) of the same spatial size; output:
    refined log-probabilities C x *S. No learnable parameters; cost O(pixels^2)."""

    name = "crf"
    Params = CRFParams
    arity = (2, 2)
    min_rank = 1
    max_rank = 3

    def infer(self, p: CRFParams, logits: Shape, image: Shape) -> Inference:
        hint = ("the CRF needs logits at the image's resolution: upsample them first, e.g. "
                "{block: resize, from: logits, like: image}")
        if logits.rank != image.rank:
            raise mismatch(0, 1, "inputs have different numbers of spatial dims", hint)
        if logits.spatial != image.spatial:
            raise mismatch(0, 1, "spatial sizes differ", hint)
        n = math.prod(logits.spatial)
        size = "x".join(map(str, logits.spatial))
        expect(n <= p.max_pixels,
               f"{size} = {n} pixels exceeds max_pixels={p.max_pixels}: exact dense CRF inference costs "
               f"pixels^2 x classes = {n * n * logits.channels:,} MACs per iteration; downsample logits "
               "and image, or raise max_pixels",
               "downsample logits and image first ({block: resize, from: x, size: [...]}) and set "
               "spacing to the factor, or raise max_pixels if you can afford it")
        # message passing makes every pixel see all others; without it (no iterations or
        # zero kernel weights) the output is the softmax of each pixel's own logits
        passes = p.iterations > 0 and (p.w1 > 0 or p.w2 > 0)
        return Inference({"out": logits}, params=0, macs=crf_macs(p, logits.channels, logits.spatial),
                         geometry=Geometry.whole() if passes else POINTWISE)

    def build(self, p: CRFParams, logits: Shape, image: Shape):
        from segkit_crf.meanfield import DenseCRF

        return DenseCRF(**settings(p))
