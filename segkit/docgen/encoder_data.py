"""``docs/encoders.json``: what importing each model of the encoder survey measured.

Importing timm and torchvision models is slow and needs those optional libraries, so
``segkit docs`` does not import them: ``python -m segkit.docgen.encoder_survey`` imports
every model of ``SURVEY``, measures it and writes this file, and ``segkit docs`` renders
the encoder table from it. A test re-imports a few models and compares them with their
rows, so the file cannot silently drift from what ``segkit import`` does.
"""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from segkit.errors import InputError, SourceLoc

DATA_FILE = Path("docs") / "encoders.json"
INPUT = "3x224x224"
"""The size every model is imported, counted and compared at."""
TOLERANCE = 1e-12
"""The largest fp64 difference still called exact: a Linear turned into a 1x1 conv sums
in another order."""

TIMM = ("resnet18", "resnet34", "resnet50", "resnet101", "resnext50_32x4d", "seresnet50", "regnetx_032",
        "efficientnet_b0", "efficientnet_b2", "tf_efficientnet_b0", "tf_efficientnetv2_s", "mobilenetv2_100",
        "mobilenetv3_large_100", "mobilenetv4_conv_medium", "convnext_tiny", "densenet121", "vgg16_bn",
        "xception65", "hrnet_w18", "resnest50d", "convnextv2_tiny", "ghostnet_100", "mobilenetv4_hybrid_medium")
TORCHVISION = ("resnet50", "mobilenet_v3_large", "efficientnet_b0", "convnext_tiny", "regnet_y_400mf", "squeezenet1_1",
               "shufflenet_v2_x1_0")
SURVEY = tuple(f"timm:{n}" for n in TIMM) + tuple(f"torchvision:{n}" for n in TORCHVISION)
"""The sources of the table, in its order: the issue's survey list, plus ResNeSt (split
attention, imported whole), ConvNeXt V2 (global response norm), GhostNet (channel
slices), SqueezeNet (unpadded: nominal strides), and two refused: MobileNetV4-hybrid
(self-attention) and ShuffleNet V2 (reads run-time sizes)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Output(_Strict):
    name: str
    stride: int
    channels: int


class Row(_Strict):
    """One source as imported: the spec's figures at ``INPUT``, or why it was refused."""

    source: str
    """``timm:NAME`` or ``torchvision:NAME``, as ``segkit import`` takes it."""
    params: int | None = None
    macs: int | None = None
    outputs: tuple[Output, ...] = ()
    sizes: str = ""
    """The accepted input sizes, as ``segkit check`` words them."""
    max_abs_diff: float | None = None
    """Between the source's outputs and the built spec's (fp64, eval, random weights)."""
    params_match: bool = False
    """The spec has as many parameters as the source module."""
    refused: str | None = None
    """The error ``segkit import`` gave, for a model it does not import."""

    @property
    def exact(self) -> bool:
        return (self.refused is None and self.params_match and self.max_abs_diff is not None
                and self.max_abs_diff <= TOLERANCE)


class DataFile(_Strict):
    input: str = INPUT
    versions: dict[str, str]
    """The libraries the rows were measured with (torch, timm, torchvision)."""
    rows: tuple[Row, ...]

    def row(self, source: str) -> Row | None:
        return next((r for r in self.rows if r.source == source), None)


def load(root: Path) -> DataFile:
    """Read and validate ``root/docs/encoders.json``."""
    path = root / DATA_FILE
    if not path.is_file():
        raise InputError(f"no {DATA_FILE.as_posix()} here: not a segkit source checkout", SourceLoc(str(root)),
                         "run `segkit docs` from the repository root, or pass --root")
    try:
        return DataFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except ValueError as exc:  # bad JSON, or a pydantic ValidationError (a ValueError too)
        raise InputError(f"not a valid encoder survey: {str(exc).splitlines()[0]}", SourceLoc(str(path)),
                         "rewrite it with `python -m segkit.docgen.encoder_survey`") from None


def dump(data: DataFile) -> str:
    """The file's text: one key a line, rows in survey order, so reruns diff cleanly."""
    return json.dumps(data.model_dump(), indent=2) + "\n"
