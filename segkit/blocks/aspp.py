"""``aspp``: atrous spatial pyramid pooling of DeepLab, both forms.

- ``version: v2`` (Chen et al., "DeepLab: Semantic Image Segmentation with Deep
  Convolutional Nets, Atrous Convolution, and Fully Connected CRFs", TPAMI 2017, Sec.
  3.1, ASPP-L): four parallel 3x3 atrous convs (rates 6/12/18/24 at output stride 8)
  straight to the class scores, with bias, summed (the released ResNet-101 prototxt's
  fc1_c0..c3). ``out`` is the class count.
- ``version: v3`` (Chen et al., "Rethinking Atrous Convolution for Semantic Image
  Segmentation", arXiv 1706.05587, Sec. 3.3): a 1x1 conv and three 3x3 atrous convs
  (rates 6/12/18 at output stride 16, 12/24/36 at 8), each ``out`` (256) channels without
  bias + BN + ReLU; an image-pooling branch (global average pool, 1x1 conv + BN + ReLU,
  bilinear upsampling to the feature size); concat (1x1, atrous, pooling, as
  torchvision's ASPP; the TensorFlow code puts the pooling branch first), 1x1 projection
  conv + BN + ReLU, dropout (0.5 in torchvision, 0.1 in the TensorFlow code). With
  ``separable: true`` the atrous branches are depthwise-separable (DeepLab v3+, Chen et
  al., ECCV 2018; see ``aspp_conv``).

``rates`` are given at the version's reference output stride (16 for v3, 8 for v2, as
the papers state them) and scaled by ``reference / output_stride``, so one spec serves
training at OS16 and evaluation at OS8 with the same weights. Module names: v3
``b0`` (1x1), ``b1``.. (atrous), ``pool``/``pool_conv``/``pool_up``, ``concat``,
``project``, ``dropout``; v2 ``c0``..``c3``, ``sum``. A Python macro because the number
of branches follows ``rates``; a rate list of the wrong length, a non-positive rate or a
rate that does not scale to an integer is an error located at the node's params.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, ValidationInfo, field_validator

from segkit.core.block import Macro, Params
from segkit.ops.params import PosInt
from segkit.plugins.hookspecs import hookimpl

REFERENCE_STRIDE = {"v3": 16, "v2": 8}
"""The output stride the papers give the rates at."""
DEFAULT_RATES = {"v3": [6, 12, 18], "v2": [6, 12, 18, 24]}
DEFAULT_OUT = {"v3": 256, "v2": 21}


class ASPPParams(Params):
    version: Literal["v3", "v2"] = "v3"
    """v3: 1x1 + 3 atrous branches + image pooling, concat, projection (arXiv
    1706.05587); v2: ASPP-L, 4 atrous convs to the class scores, summed (TPAMI 2017)."""
    rates: Optional[list[PosInt]] = None
    """Atrous rates at the reference output stride (16 for v3, 8 for v2); 3 for v3, 4 for
    v2 (null = the paper's: [6, 12, 18] for v3, [6, 12, 18, 24] for v2)."""
    output_stride: Optional[PosInt] = None
    """Output stride of the input features; the rates are scaled by reference/output_stride
    (null = the reference: 16 for v3, 8 for v2)."""
    out: Optional[PosInt] = None
    """Channels of each branch and of the output: 256 for v3; for v2 the class count
    (null = 256 for v3, 21 for v2, PASCAL VOC)."""
    separable: bool = False
    """Depthwise-separable atrous branches (DeepLab v3+); v3 only."""
    image_pooling: Optional[bool] = None
    """The image-pooling branch (null = on for v3; v2 has none)."""
    dropout: Annotated[float, Field(ge=0, lt=1)] = 0.5
    """Dropout after the v3 projection, 0 = none (torchvision 0.5, TensorFlow code 0.1)."""

    @field_validator("rates")
    @classmethod
    def _rate_count(cls, rates, info: ValidationInfo):
        version = info.data.get("version")
        if rates is not None and version is not None and len(rates) != len(DEFAULT_RATES[version]):
            what = "a 1x1 and 3 atrous branches" if version == "v3" else "ASPP-L, 4 branches"
            raise ValueError(f"ASPP {version} takes {len(DEFAULT_RATES[version])} atrous rates ({what}), "
                             f"got {len(rates)}")
        return rates

    @field_validator("output_stride")
    @classmethod
    def _scales(cls, stride, info: ValidationInfo):
        version = info.data.get("version")
        if stride is None or version is None or "rates" not in info.data:
            return stride
        reference = REFERENCE_STRIDE[version]
        rates = info.data["rates"] or DEFAULT_RATES[version]
        bad = [r for r in rates if r * reference % stride]
        if bad:
            raise ValueError(f"rate {bad[0]} (given at output stride {reference}) does not scale to an integer "
                             f"rate at output stride {stride}")
        return stride

    @field_validator("separable", "image_pooling")
    @classmethod
    def _v3_only(cls, value, info: ValidationInfo):
        if value and info.data.get("version") == "v2":
            raise ValueError(f"{info.field_name} is an option of ASPP v3 (and v3+); "
                             "ASPP v2 (ASPP-L) has only plain atrous convs to the classes")
        return value

    def scaled_rates(self) -> list[int]:
        """The atrous rates at ``output_stride``."""
        reference = REFERENCE_STRIDE[self.version]
        stride = self.output_stride or reference
        return [r * reference // stride for r in (self.rates or DEFAULT_RATES[self.version])]


class ASPP(Macro):
    """Atrous spatial pyramid pooling of DeepLab: v3 (arXiv 1706.05587; 1x1 + 3x3 atrous
    branches 6/12/18 at OS16, image pooling, concat, 1x1 projection + BN + ReLU, dropout;
    separable option of v3+) or v2 ASPP-L (TPAMI 2017; 3x3 atrous 6/12/18/24 at OS8 to the
    classes, summed). Rates scale with output_stride."""

    name = "aspp"
    Params = ASPPParams
    arity = (1, 1)

    def expand(self, p: ASPPParams, n_inputs: int) -> dict:
        out = p.out or DEFAULT_OUT[p.version]
        rates = p.scaled_rates()
        nodes: dict = {}
        if p.version == "v2":
            for k, rate in enumerate(rates):
                nodes[f"c{k}"] = {"block": "conv", "from": "x", "out": out, "kernel": 3, "dilation": rate}
            nodes["sum"] = {"block": "add", "from": [f"c{k}" for k in range(len(rates))]}
            return {"inputs": {"x": None}, "nodes": nodes, "outputs": {"out": "sum"}}
        nodes["b0"] = {"block": "aspp_conv", "from": "x", "out": out, "kernel": 1}
        for k, rate in enumerate(rates, 1):
            nodes[f"b{k}"] = {"block": "aspp_conv", "from": "x", "out": out, "kernel": 3, "dilation": rate,
                              "separable": p.separable}
        branches = list(nodes)
        if p.image_pooling is None or p.image_pooling:
            nodes["pool"] = {"block": "global_avgpool", "from": "x"}
            nodes["pool_conv"] = {"block": "aspp_conv", "from": "pool", "out": out, "kernel": 1}
            nodes["pool_up"] = {"block": "resize", "from": "pool_conv", "like": "x"}
            branches.append("pool_up")
        nodes["concat"] = {"block": "concat", "from": branches}
        nodes["project"] = {"block": "aspp_conv", "from": "concat", "out": out, "kernel": 1}
        if p.dropout > 0:
            nodes["dropout"] = {"block": "dropout", "from": "project", "p": p.dropout}
        return {"inputs": {"x": None}, "nodes": nodes, "outputs": {"out": list(nodes)[-1]}}


@hookimpl
def segkit_register_blocks(register):
    register(ASPP)
