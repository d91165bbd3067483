"""The two layers of FCN (Long, Shelhamer & Darrell, "Fully Convolutional Networks for
Semantic Segmentation", CVPR 2015) that segkit's primitives do not say exactly, as in
the official Caffe nets (shelhamer/fcn.berkeleyvision.org, ``voc-fcn*s/net.py``):

- ``bilinear_deconv``: a transposed convolution initialised to bilinear interpolation
  (``surgery.interp``: the bilinear kernel on the channel diagonal, zeros elsewhere, no
  bias). ``trainable: false`` keeps the weight fixed, as the official nets do
  (``lr_mult: 0``): it is then a persistent buffer (in ``state_dict``, not in
  ``parameters()``), so the parameter count is the learnable one. ``trainable: true``
  makes it an ``nn.Parameter`` initialised the same way (the paper's learned 2x
  upsampling; PyTorch ports such as wkentaro/pytorch-fcn).
- ``offset_crop``: Caffe's ``Crop`` layer: crop ``x`` to the spatial size of ``like``
  starting at a fixed ``offset`` per dim (FCN-32s: 19; FCN-16s: 5 and 27; FCN-8s: 5, 9
  and 31). segkit's ``crop`` centres instead, whose offset depends on the input size.

Both work for any spatial rank 1-3; the torch module of ``bilinear_deconv`` lives in
``fcn_nn.py`` and is imported by ``build`` only.
"""
from __future__ import annotations

from typing import Optional

from segkit.core.block import Block, NodeRef, Params, expect, per_dim
from segkit.core.shape import POINTWISE, Inference, Shape
from segkit.core.size_algebra import SpatialRule, every
from segkit.ops.conv import ConvTranspose, ConvTransposeParams, check_rank, positive, transposed_sizes
from segkit.ops.params import NonNegSizes, PosInt, Sizes
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



class BilinearDeconvParams(Params):
    out: Optional[PosInt] = None
    """Output channels; null = the input's (FCN's score upsampling keeps the classes)."""
    kernel: Sizes = 4
    """Kernel size (FCN: 2 x the stride: 4 for 2x, 16 for 8x, 32 for 16x, 64 for 32x)."""
    stride: Sizes = 2
    """Stride, the upsampling factor."""
    padding: NonNegSizes = 0
    """Padding removed from both sides of the output (FCN: 0, it crops afterwards)."""
    bias: bool = False
    """Learnable bias, initialised to zero (FCN: none)."""
    trainable: bool = False
    """false: the bilinear weight is a fixed buffer (official FCN, lr_mult 0), not counted
    as a parameter; true: an nn.Parameter initialised to bilinear (counted)."""


class BilinearDeconv(Block):
    """Transposed convolution initialised to bilinear upsampling (Long et al., "FCN",
    CVPR 2015): the bilinear kernel from each channel to itself, zero across channels;
    fixed (a buffer) unless trainable. Output size as conv_transpose."""

    name = "bilinear_deconv"
    Params = BilinearDeconvParams
    min_rank = 1
    max_rank = 3

    def _conv(self, p, x: Shape) -> ConvTransposeParams:
        return ConvTransposeParams(out=p.out or x.channels, kernel=p.kernel, stride=p.stride,
                                   padding=p.padding, bias=p.bias)

    def infer(self, p, x: Shape) -> Inference:
        check_rank(x, "bilinear_deconv")
        inner = ConvTranspose().infer(self._conv(p, x), x)
        weight = inner.params - (inner.out.channels if p.bias else 0)
        params = inner.params if p.trainable else inner.params - weight
        return Inference(inner.outputs, params=params, macs=inner.macs, geometry=inner.geometry)

    def spatial_rule(self, p, x):
        sizes_only = ConvTransposeParams(out=1, kernel=p.kernel, stride=p.stride, padding=p.padding)
        return positive(transposed_sizes(sizes_only, x))

    def build(self, p, x: Shape):
        from segkit.blocks.fcn_nn import BilinearDeconvNd

        return BilinearDeconvNd(x.channels, p.out or x.channels, per_dim(p.kernel, x.rank, "kernel"),
                                per_dim(p.stride, x.rank, "stride"), per_dim(p.padding, x.rank, "padding"),
                                p.bias, p.trainable)


class OffsetCropParams(Params):
    like: NodeRef
    """The node whose spatial size to crop to (FCN: the input image)."""
    offset: NonNegSizes = 0
    """Start of the crop per dim (one int or one per dim): Caffe's crop_param offset."""


def offset_crop(x, like, *, offset):
    """``x[..., o:o + n]`` per spatial dim, ``n`` the size of ``like`` and ``o`` the
    offset (one int for every dim, or a list); needs no torch import."""
    size = like.shape[2:]
    offset = [offset] * len(size) if isinstance(offset, int) else offset
    index = tuple(slice(o, o + n) for o, n in zip(offset, size))
    return x[(slice(None), slice(None), *index)]


class OffsetCrop(Block):
    """Caffe's Crop layer as FCN uses it: crop to ``like``'s spatial size starting at a
    fixed ``offset`` per dim (not centred); channels are kept."""

    name = "offset_crop"
    Params = OffsetCropParams
    min_rank = 1

    def infer(self, p, x: Shape, like: Shape) -> Inference:
        expect(x.rank >= 1, f"offset_crop needs spatial dims, got input {x}")
        expect(like.rank == x.rank, f"like {p.like!r} is {like}, not of the rank of input {x}")
        offset = per_dim(p.offset, x.rank, "offset")
        expect(all(o + n <= s for o, n, s in zip(offset, like.spatial, x.spatial)),
               f"cannot crop {'x'.join(map(str, like.spatial))} at offset {list(offset)} from input {x}",
               "the input must be at least offset + the size of 'like' in every dim")
        return Inference({"out": x.with_spatial(like.spatial)}, geometry=POINTWISE)

    def spatial_rule(self, p, x, like):
        offset = per_dim(p.offset, len(x), "offset")
        return SpatialRule({"out": like}, every(o + n <= s for o, n, s in zip(offset, like, x)))

    def call(self, p):
        return offset_crop, {"offset": p.offset}


@hookimpl
def segkit_register_blocks(register):
    for block in (BilinearDeconv, OffsetCrop):
        register(block)
