"""``context_encoding``: the Context Encoding Module of EncNet (Zhang et al., "Context
Encoding for Semantic Segmentation", CVPR 2018, Sec. 3 and Fig. 2), as the official
PyTorch code (zhanghang1989/PyTorch-Encoding, ``encoding/models/sseg/encnet.py``
EncModule and ``encoding/nn/encoding.py`` Encoding):

1. 1x1 conv (no bias) keeping the C channels + BN + ReLU (``conv: true``, EncModule);
2. the Encoding layer: K = ``codes`` learnable codewords c_k of dimension D = C and
   learnable smoothing factors s_k; for the N = H x W features x_i, soft-assignment
   a_ik = softmax_k(-s_k ||x_i - c_k||^2) (the code stores the negation in s_k,
   initialised in [-1, 0)) and residual aggregation e_k = sum_i a_ik (x_i - c_k);
3. BN1d over the K codewords + ReLU, mean over the codewords: the encoded vector e (C);
4. channel gate: gamma = sigmoid(FC(e)) and the output ReLU(x + x * gamma)
   (``F.relu_(x + x * y)`` in EncModule);
5. SE-loss branch: FC(e) to ``num_classes`` logits of class presence, the second output
   ``se`` (no spatial dims), trained with a BCE loss (weight 0.2).

Parameters at C = 512, K = 32, 21 classes: 553,077 (EncModule). MACs count the 1x1
conv (C^2 N), the two matrix products of the encoding (x_i . c_k for the distances via
||x||^2 - 2 x.c + ||c||^2, and A^T X for the aggregation: 2 N K C) and the two FC
layers (C^2 + C num_classes), as torch.utils.flop_counter does. The module computes
exactly these products (no B x N x K x C residual tensor), so it also fits memory at
high resolution; any spatial rank 1-3.
"""
from __future__ import annotations

import math

from segkit.core.block import Block, Params, expect
from segkit.core.shape import Geometry, Inference, Shape
from segkit.core.size_algebra import SpatialRule
from segkit.ops.conv import check_rank
from segkit.ops.params import PosInt
from segkit.plugins.hookspecs import hookimpl

# torch is imported inside functions, so that importing this module, and so `segkit check`, stays torch-free.



class ContextEncodingParams(Params):
    num_classes: PosInt = 21
    """Classes of the SE-loss head (output ``se``): 21 for PASCAL VOC, 59 for PASCAL
    Context, 150 for ADE20K."""
    codes: PosInt = 32
    """Number of codewords K (32 in EncNet)."""
    se_loss: bool = True
    """Add the SE-loss head: output ``se`` = FC(encoded vector) to num_classes logits."""
    conv: bool = True
    """1x1 conv (no bias) + BN + ReLU before the Encoding layer, as in EncModule."""


class ContextEncoding(Block):
    """Context Encoding Module of EncNet (Zhang et al., CVPR 2018): [1x1 conv + BN +
    ReLU], Encoding layer (K=32 codewords, smoothing factors), BN1d + ReLU, mean over
    codewords, FC + sigmoid channel gate, out = ReLU(x + x * gate); plus the SE-loss
    head FC(encoded) -> num_classes as output ``se``."""

    name = "context_encoding"
    Params = ContextEncodingParams
    outputs = ("out", "se")
    min_rank = 1
    max_rank = 3

    def output_names(self, p) -> tuple[str, ...]:
        return ("out", "se") if p.se_loss else ("out",)

    def infer(self, p, x: Shape) -> Inference:
        check_rank(x, "context_encoding")
        c, k = x.channels, p.codes
        n = math.prod(x.spatial)
        expect(n >= 1, f"input {x} has no pixels")
        params = k * c + k + 2 * k + c * c + c  # codewords, scale, BN1d, gate FC
        macs = 2 * n * k * c + c * c
        if p.conv:
            params += c * c + 2 * c
            macs += c * c * n
        outputs = {"out": x}
        if p.se_loss:
            params += c * p.num_classes + p.num_classes
            macs += c * p.num_classes
            outputs["se"] = Shape(p.num_classes, ())
        return Inference(outputs, params=params, macs=macs, geometry=Geometry.whole())

    def spatial_rule(self, p, x):
        return SpatialRule({"out": x, "se": ()} if p.se_loss else {"out": x})

    def build(self, p, x: Shape):
        from segkit.blocks.context_encoding_nn import EncModule, EncModuleSE

        if p.se_loss:
            return EncModuleSE(x.channels, p.codes, x.rank, p.conv, p.num_classes)
        return EncModule(x.channels, p.codes, x.rank, p.conv)


@hookimpl
def segkit_register_blocks(register):
    register(ContextEncoding)
