"""``enet_bottleneck``: the bottleneck module of ENet (Paszke, Chaurasia, Kim &
Culurciello, "ENet: A Deep Neural Network Architecture for Real-Time Semantic
Segmentation", arXiv 1606.02147, 2016, Sec. 3 and Fig. 2b), in all five forms.

Main branch (internal width ``out // ratio``, projection ratio 4): a 1x1 projection
(a 2x2 stride-2 conv when downsampling), BN, PReLU; the middle conv, BN, PReLU; a 1x1
expansion to ``out``, BN; spatial dropout. Shortcut added, then PReLU. The middle conv
by ``kind``:

- ``regular``: 3x3; ``dilated``: 3x3 with ``dilation`` (2, 4, 8, 16 in ENet);
- ``asymmetric``: ``asymmetric`` x 1 then 1 x ``asymmetric`` (5 in ENet); the Torch
  original's first conv is (kW=5, kH=1), i.e. PyTorch's [1, 5]; the parameters are the same;
- ``downsampling``: 3x3 after the strided projection; the shortcut is a 2x2 max pool
  whose argmax ``indices`` are a second named output, zero-padded to ``out`` channels;
- ``upsampling`` (decoder): the middle conv is a 3x3 stride-2 transposed conv; the
  shortcut is a 1x1 conv + BN max-unpooled with the indices of the matching downsampling
  bottleneck, named by ``indices: down`` (or given as the second input).

Biases, BN epsilon (1e-3) and layer order follow the official Torch code
(e-lab/ENet-training, ``encoder.lua`` / ``decoder.lua``): only the middle conv has a bias;
there is no BN or activation between the two asymmetric convs. With these, ENet for 19
classes counts 364,311 parameters. The decoder of the paper uses ReLU (``act: relu``)
and the official decoder has no dropout (``dropout: 0``); dropout is 0.01 in stage 1
and 0.1 after it. Transposed conv: the Torch original pads 1 with output padding 1
(output 2x the input); here it runs unpadded with output padding 1 and is center-cropped
to the unpooled shortcut's size, which gives exactly those values for even sizes and
lets odd sizes round-trip through downsampling and upsampling.

Node names: ``proj``/``proj_bn``/``proj_act``, ``conv`` (asymmetric: ``conv1``,
``conv2``; upsampling: ``tconv`` + ``crop``), ``conv_bn``/``conv_act``, ``expand``/
``expand_bn``, ``dropout``, shortcut ``pool``/``pad`` (downsampling), ``shortcut``/
``shortcut_bn``/``unpool`` (upsampling, or a projected shortcut), ``add``, ``act``.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field

from segkit.core.block import Macro, ParamError, Params, Ref
from segkit.core.shape import Shape
from segkit.errors import SpecSchemaError
from segkit.ops.params import PosInt
from segkit.plugins.hookspecs import hookimpl


class ENetBottleneckParams(Params):
    kind: Literal["regular", "dilated", "asymmetric", "downsampling", "upsampling"] = "regular"
    """Form of the module: regular 3x3, dilated 3x3, asymmetric kx1 + 1xk, downsampling
    (strided projection, pooled shortcut; emits ``indices``) or upsampling (transposed
    conv, max-unpooled shortcut)."""
    out: Optional[PosInt] = None
    """Output channels; null keeps the input's (downsampling and upsampling need it)."""
    ratio: PosInt = 4
    """Projection ratio: the main branch is ``out // ratio`` channels wide (4 in ENet)."""
    dilation: PosInt = 2
    """Dilation of the ``dilated`` kind's 3x3 conv (2, 4, 8, 16 in ENet); other kinds
    accept only 1."""
    asymmetric: PosInt = 5
    """Kernel length of the ``asymmetric`` kind (5 in ENet)."""
    dropout: Annotated[float, Field(ge=0, le=1)] = 0.1
    """Spatial dropout probability (0.01 in stage 1, 0.1 after; 0 = no dropout layer,
    as in the official decoder)."""
    act: Literal["prelu", "relu"] = "prelu"
    """Activation: PReLU with one slope per channel (encoder), or ReLU (the decoder)."""
    bias: bool = True
    """Bias of the middle conv (Torch original; PyTorch ports drop it)."""
    shortcut: Literal["pad", "conv"] = "pad"
    """Shortcut of a regular/dilated/asymmetric module whose width changes: zero-padded
    channels (Torch encoder) or a 1x1 conv + BN (Torch decoder)."""
    eps: Annotated[float, Field(gt=0)] = 1e-3
    """BatchNorm epsilon (1e-3 in the Torch original)."""
    indices: Optional[Annotated[str, Ref(output="indices")]] = None
    """Upsampling: the downsampling bottleneck whose pool indices to unpool with
    (``indices: down``); equivalently (not both) pass them as the second input,
    ``from: [x, down.indices]``."""


def width(p: ENetBottleneckParams) -> tuple[str, str]:
    """The output-channel expression and the main-branch width expression."""
    out = str(p.out) if p.out is not None else "channels('x')"
    return out, f"${{{out} // {p.ratio}}}"


class ENetBottleneck(Macro):
    """ENet bottleneck (Paszke et al., 2016): 1x1 (or 2x2 stride-2) projection to
    out/4, regular / dilated / asymmetric / transposed middle conv, 1x1 expansion,
    spatial dropout, plus an identity, pooled + zero-padded, or unpooled shortcut;
    BN + PReLU throughout. Downsampling emits ``indices``; upsampling takes them by
    ``indices: NODE`` (or as its second input)."""

    name = "enet_bottleneck"
    Params = ENetBottleneckParams
    arity = (1, 2)

    def expand(self, p: ENetBottleneckParams, n_inputs: int) -> dict:
        out, mid = width(p)
        out_ = f"${{{out}}}"
        differ = f"${{channels('x') != {out}}}"
        down, up = p.kind == "downsampling", p.kind == "upsampling"
        bn = {"block": "bn", "eps": p.eps}
        act = {"block": "act", "kind": p.act}
        nodes: dict = {
            "proj": {"block": "conv", "from": "x", "out": mid, "kernel": 2 if down else 1, "stride": 2 if down else 1,
                     "bias": False},
            "proj_bn": dict(bn),
            "proj_act": dict(act),
        }
        if p.kind == "asymmetric":
            nodes["conv1"] = {"block": "conv", "out": mid, "kernel": [p.asymmetric, 1], "bias": False}
            nodes["conv2"] = {"block": "conv", "out": mid, "kernel": [1, p.asymmetric], "bias": p.bias}
        elif up:
            nodes["tconv"] = {"block": "conv_transpose", "out": mid, "kernel": 3, "stride": 2, "output_padding": 1,
                              "bias": p.bias}
            nodes["crop"] = {"block": "crop", "like": "unpool"}
        else:
            nodes["conv"] = {"block": "conv", "out": mid, "kernel": 3, "bias": p.bias,
                             "dilation": p.dilation if p.kind == "dilated" else 1}
        nodes["conv_bn"] = dict(bn)
        nodes["conv_act"] = dict(act)
        nodes["expand"] = {"block": "conv", "out": out_, "kernel": 1, "bias": False}
        nodes["expand_bn"] = dict(bn)
        main = "expand_bn"
        if p.dropout > 0:
            nodes["dropout"] = {"block": "dropout2d", "p": p.dropout}
            main = "dropout"

        inputs: dict = {"x": None}
        outputs = {"out": "act"}
        if down:
            nodes["pool"] = {"block": "maxpool", "from": "x", "kernel": 2, "return_indices": True}
            nodes["pad"] = {"block": "pad_channels", "from": "pool", "out": out_, "when": differ}
            shortcut = "pad"
            outputs["indices"] = "pool.indices"
        elif up:
            inputs["indices"] = None
            nodes["shortcut"] = {"block": "conv", "from": "x", "out": out_, "kernel": 1, "bias": False}
            nodes["shortcut_bn"] = dict(bn)
            nodes["unpool"] = {"block": "unpool", "indices": "indices", "kernel": 2}
            shortcut = "unpool"
        elif p.shortcut == "pad":
            nodes["pad"] = {"block": "pad_channels", "from": "x", "out": out_, "when": differ}
            shortcut = "pad"
        else:
            nodes["shortcut"] = {"block": "conv", "from": "x", "out": out_, "kernel": 1, "bias": False, "when": differ}
            nodes["shortcut_bn"] = {**bn, "when": differ}
            shortcut = "shortcut_bn"
        nodes["add"] = {"block": "add", "from": [main, shortcut]}
        nodes["act"] = dict(act)
        return {"inputs": inputs, "nodes": nodes, "outputs": outputs}

    def validate(self, p: ENetBottleneckParams, x: Shape, *rest: Shape) -> None:
        up = p.kind == "upsampling"
        if p.kind in ("downsampling", "upsampling") and p.out is None:
            raise ParamError("out", f"kind {p.kind} needs it (the output channels)")
        if up and not rest:
            raise SpecSchemaError("enet_bottleneck: kind upsampling needs the pool indices of the matching "
                                  "downsampling bottleneck", hint="indices: NODE, or from: [x, NODE.indices]")
        if up and len(rest) > 1:  # from: [x, NODE.indices] plus indices: NODE
            raise ParamError("indices", "the pool indices are given twice, here and as the second input in 'from'",
                             "give them once: indices: NODE, or from: [x, NODE.indices]")
        if not up and rest:
            raise SpecSchemaError(f"enet_bottleneck: kind {p.kind} takes one input, got {1 + len(rest)}",
                                  hint="only kind upsampling takes a second input (the pool indices)")
        if not up and p.indices is not None:
            raise ParamError("indices", f"applies to kind upsampling, not {p.kind}")
        if "dilation" in p.model_fields_set and p.dilation != 1 and p.kind != "dilated":
            raise ParamError("dilation", f"applies to kind dilated, not {p.kind}",
                             "dilation 1 is accepted for every kind, for lists over repeat")
        if "asymmetric" in p.model_fields_set and p.kind != "asymmetric":
            raise ParamError("asymmetric", f"applies to kind asymmetric, not {p.kind}")
        if "shortcut" in p.model_fields_set and p.kind in ("downsampling", "upsampling"):
            raise ParamError("shortcut", f"does not apply to kind {p.kind} "
                             "(pooled + padded when downsampling, conv + BN + unpool when upsampling)")
        out = p.out if p.out is not None else x.channels
        if out // p.ratio < 1:
            what = f"out {p.out}" if p.out is not None else f"{x.channels} channels (out: null keeps them)"
            blame = "ratio" if p.out is None or "ratio" in p.model_fields_set else "out"
            raise ParamError(blame, f"{what} // ratio {p.ratio} leaves no channels for the main branch",
                             "use a smaller ratio or more channels")
        if p.kind == "downsampling" and out < x.channels:
            raise ParamError("out", f"{out} is fewer than the {x.channels} input channels, which the "
                             "shortcut pools and zero-pads to out", f"use out >= {x.channels}")


@hookimpl
def segkit_register_blocks(register):
    register(ENetBottleneck)
