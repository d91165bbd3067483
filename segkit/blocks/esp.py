"""``esp``: the efficient spatial pyramid (ESP) module of ESPNet (Mehta, Rastegari,
Caesar, Shapiro & Hajishirzi, "ESPNet: Efficient Spatial Pyramid of Dilated
Convolutions for Semantic Segmentation", ECCV 2018, Sec. 3.1 and Fig. 1b).

Reduce, split, transform, merge: a 1x1 conv reduces the N = ``out`` channels to
d = floor(N / K) (the strided module uses a 3x3 stride-2 conv instead); K parallel 3x3
convs with dilation 1, 2, 4, ..., 2^(K-1) transform it, the first producing
N - (K-1)*d channels and the others d, so that the concat has exactly N; hierarchical
feature fusion (HFF) adds the dilated outputs cumulatively (d2, d2+d4, d2+d4+d8, ...)
before the concat, against gridding artifacts; the input is added when the shapes
allow (stride 1, N in = N out); then BN and PReLU. No conv has a bias.

This follows the official code (sacmehta/ESPNet, ``DilatedParllelResidualBlockB`` and,
for ``stride: 2``, ``DownSamplerB``): K = 5, BN epsilon 1e-3, one PReLU slope per
channel. With it, ESPNet-C (p=2, q=8, 20 classes) counts 349,449 parameters. Node
names follow the official modules: ``c1`` (reduction), ``d1``, ``d2``, ``d4``, ... (the
branches, by dilation), ``add2``, ``add3``, ... (the HFF sums), ``cat``, ``residual``,
``bn``, ``act``.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, field_validator

from segkit.core.block import Macro, ParamError, Params
from segkit.core.shape import Shape
from segkit.ops.params import PosInt
from segkit.plugins.hookspecs import hookimpl


class ESPParams(Params):
    out: Optional[PosInt] = None
    """Output channels N; null keeps the input's."""
    stride: Literal[1, 2] = 1
    """2 makes the strided module: the reduction is a 3x3 stride-2 conv and there is no
    residual (ESPNet's down-sampling ESP)."""
    branches: PosInt = 5
    """K, the number of parallel dilated convs (5 in ESPNet)."""
    dilations: Optional[list[PosInt]] = None
    """Dilation of each branch, K of them; null = 1, 2, 4, ..., 2^(K-1)."""
    residual: bool = True
    """Add the input to the merged output when the shapes allow (stride 1, same width)."""
    act: Literal["prelu", "relu", "none"] = "prelu"
    """Activation after the BN: PReLU with one slope per channel (ESPNet)."""
    eps: Annotated[float, Field(gt=0)] = 1e-3
    """BatchNorm epsilon (1e-3 in the official code)."""

    @field_validator("dilations")
    @classmethod
    def _one_per_branch(cls, value, info):
        k = info.data.get("branches")
        if value is not None and k is not None and len(value) != k:
            raise ValueError(f"{len(value)} dilations given for {k} branches; give one per branch")
        return value


class ESP(Macro):
    """ESP module (ESPNet, ECCV 2018): 1x1 reduction to N/K (3x3 stride 2 when
    strided), K parallel 3x3 convs dilated 1, 2, 4, 8, 16, hierarchical feature fusion,
    concat to N, residual add when the shapes allow, BN + PReLU."""

    name = "esp"
    Params = ESPParams
    arity = (1, 1)

    def validate(self, p: ESPParams, x: Shape) -> None:
        width = p.out if p.out is not None else x.channels
        if width < p.branches:
            what = f"out {p.out}" if p.out is not None else f"the {x.channels} input channels (out: null keeps them)"
            raise ParamError("out" if p.out is not None else "branches",
                             f"{what} cannot be split into {p.branches} branches of at least one channel",
                             "use fewer branches or more channels")

    def expand(self, p: ESPParams, n_inputs: int) -> dict:
        k = p.branches
        rates = p.dilations if p.dilations is not None else [2 ** j for j in range(k)]
        if p.out is not None:
            n, d, first = str(p.out), p.out // k, p.out - (k - 1) * (p.out // k)
        else:  # known once the input is
            n = "channels('x')"
            d = f"${{channels('x') // {k}}}"
            first = f"${{channels('x') - {k - 1} * (channels('x') // {k})}}"
        reduce = {"kernel": 3, "stride": 2} if p.stride == 2 else {"kernel": 1}
        nodes: dict = {"c1": {"block": "conv", "from": "x", "out": d, **reduce, "bias": False}}
        names = [f"d{r}" for r in rates] if len(set(rates)) == k else [f"d{j + 1}_{r}" for j, r in enumerate(rates)]
        for j, (name, rate) in enumerate(zip(names, rates)):
            nodes[name] = {"block": "conv", "from": "c1", "out": first if j == 0 else d, "kernel": 3,
                           "dilation": rate, "bias": False}
        merged = names[:2]
        for j in range(2, k):
            nodes[f"add{j}"] = {"block": "add", "from": [merged[-1], names[j]]}
            merged.append(f"add{j}")
        top = merged[0]
        if k > 1:
            nodes["cat"] = {"block": "concat", "from": merged}
            top = "cat"
        if p.residual and p.stride == 1:
            same = f"channels('x') == {n}"  # a skipped node passes one input: drop x from 'from' too
            nodes["residual"] = {"block": "add", "from": f"${{['{top}', 'x'] if {same} else ['{top}']}}",
                                 "when": f"${{{same}}}"}
            top = "residual"
        nodes["bn"] = {"block": "bn", "from": top, "eps": p.eps}
        top = "bn"
        if p.act != "none":
            nodes["act"] = {"block": "act", "kind": p.act}
            top = "act"
        return {"inputs": {"x": None}, "nodes": nodes, "outputs": {"out": top}}


@hookimpl
def segkit_register_blocks(register):
    register(ESP)
